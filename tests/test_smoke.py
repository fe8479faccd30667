def test_connect_and_query(gateway, upkeep_sandbox):
    key = gateway.new_org()
    created = gateway.connect(key, upkeep_sandbox.url)
    token = created["data"]["createConnection"]["token"]
    data = gateway.gql(token, "{ workOrders(first: 2) { nodes { number } } }")
    assert [n["number"] for n in data["data"]["workOrders"]["nodes"]] == ["WO-00001", "WO-00002"]
