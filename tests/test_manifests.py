"""Connector manifests: a malformed one fails to load naming its line and field, and is left out
while the gateway starts with every other system (the manifest-defined Limble passes the conformance
kit as `limble_manifest`, tests/conformance/cases/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.manifests import ManifestError, load_dir, load_file
from connectors.registry import builtin, connectors
from tests.conftest import EXAMPLE_MANIFESTS
from tests.helpers import data
from tests.processes import GatewayProcess, base_env, create_org, wait_until

EXAMPLE = (EXAMPLE_MANIFESTS / "limble.yaml").read_text(encoding="utf-8")


def _broken(tmp_path: Path, old: str, new: str, name: str = "broken.yaml") -> Path:
    """The example manifest with one text replaced (it must be there), under another key."""
    assert old in EXAMPLE
    path = tmp_path / name
    path.write_text(EXAMPLE.replace("key: limble_manifest", "key: broken").replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _error(path: Path) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load_file(path, builtin())
    return caught.value


def test_the_example_is_a_system_of_the_registry():
    cls = connectors()["limble_manifest"]
    assert cls.entry.name == "Limble CMMS (manifest)"
    assert cls.entry.capabilities["WorkOrder"].create and not cls.entry.capabilities["Asset"].create


def test_an_unknown_paging_style_names_its_line_and_field(tmp_path):
    path = _broken(tmp_path, "paging: {style: page,", "paging: {style: pages,")
    error = _error(path)
    assert str(error).startswith(f"{path}:{_line_of(path, 'paging:')}: paging.style: ")
    assert "'pages'" in error.reason and "'offset', 'page', 'cursor'" in error.reason


def test_a_value_of_the_wrong_type_names_its_line_and_field(tmp_path):
    path = _broken(tmp_path, "tier: 1", "tier: first")
    assert str(_error(path)).startswith(f"{path}:{_line_of(path, 'tier: first')}: tier: ")


def test_an_unknown_key_names_its_line_and_field(tmp_path):
    path = _broken(tmp_path, "    ids_param: assets", "    ids_parm: assets")
    error = _error(path)
    assert (error.line, error.where) == (_line_of(path, "ids_parm"), "streams[3].ids_parm")
    assert "Extra inputs are not permitted" in error.reason


def test_a_field_the_entity_lacks_names_its_line(tmp_path):
    path = _broken(tmp_path, "      partNumber: number", "      partNo: number")
    error = _error(path)
    assert str(error) == f"{path}:{_line_of(path, 'partNo')}: streams[4].fields.partNo: Part has no field 'partNo'"


def test_an_enum_value_outside_the_mapping_is_not_taken_for_a_path(tmp_path):
    path = _broken(tmp_path, "{enum: type, values:", "{enum: type, valus:")
    error = _error(path)
    assert error.line == _line_of(path, "valus:")
    assert error.where.startswith("streams[1].fields.type")


def test_a_misshapen_expression_is_reported_in_the_form_it_chose(tmp_path):
    path = _broken(tmp_path, "display: {join: [taskID, name]}", "display: {join: taskID}")
    error = _error(path)
    assert (error.line, error.where) == (_line_of(path, "join: taskID"), "streams[1].display.join")
    assert error.reason == "Input should be a valid list"


def test_a_missing_setting_is_named(tmp_path):
    path = _broken(tmp_path, "auth: {type: basic, username: client_id, password: client_secret}\n", "")
    assert (_error(path).where, _error(path).reason) == ("auth", "Field required")


def test_a_credential_the_form_does_not_ask_for_names_its_line(tmp_path):
    path = _broken(tmp_path, "password: client_secret}", "password: secret}")
    assert str(_error(path)) == (
        f"{path}:{_line_of(path, 'auth:')}: auth.password: names the credential 'secret', "
        "which 'credentials' does not ask for"
    )


def test_malformed_yaml_names_the_line_the_parser_stopped_at(tmp_path):
    path = _broken(tmp_path, "    path: /vendors", "    path: [/vendors")
    error = _error(path)
    assert error.line >= _line_of(path, "[/vendors") and "not YAML" in error.reason


def test_a_key_of_a_built_in_system_is_refused(tmp_path):
    path = tmp_path / "twin.yaml"
    path.write_text(EXAMPLE.replace("key: limble_manifest", "key: limble"), encoding="utf-8")
    assert str(_error(path)) == f"{path}:{_line_of(path, 'key: limble')}: key: 'limble' is already a system"


def test_a_directory_loads_the_good_manifests_and_reports_the_bad(tmp_path):
    (tmp_path / "limble.yaml").write_text(EXAMPLE, encoding="utf-8")
    bad = _broken(tmp_path, "tier: 1", "tier: 7")
    loaded, errors = load_dir(tmp_path, builtin())
    assert [c.entry.key for c in loaded] == ["limble_manifest"]
    assert [(e.file, e.where) for e in errors] == [(str(bad), "tier")]


SYSTEMS = "{ systems { key name } }"


@pytest.mark.processes
def test_the_gateway_starts_with_the_other_systems_when_a_manifest_is_malformed(tmp_path):
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "limble.yaml").write_text(EXAMPLE, encoding="utf-8")
    bad = _broken(manifests, "paging: {style: page,", "paging: {style: pages,", "bad.yaml")
    env = base_env(PLANTGATE_DATA_DIR=str(tmp_path / "data"), PLANTGATE_CONNECTOR_DIR=str(manifests))
    admin = create_org(env, "manifests", 10)
    gateway = GatewayProcess("manifests", env, tmp_path).start().wait_healthy()
    try:
        keys = {s["key"] for s in data(gateway.gql(admin, SYSTEMS))["systems"]}
        assert {"limble_manifest", "limble", "upkeep", "maximo"} <= keys and "broken" not in keys
        where = f"{bad}:{_line_of(bad, 'paging:')}: paging.style:"
        wait_until(lambda: where in gateway.log_tail(100_000), timeout=10)
    finally:
        gateway.stop()


def test_the_format_doc_shows_the_example_as_it_is():
    doc = (EXAMPLE_MANIFESTS.parents[1] / "manifests.md").read_text(encoding="utf-8")
    assert f"```yaml\n{EXAMPLE}```" in doc
