// Apollo Client in Node (fetch-based HttpLink, InMemoryCache with relayStylePagination): every work
// order, page by page, forward (first/after) or backward (last/before) as DIRECTION says. Prints one
// JSON line: the requests made and the ids in the merged list, in order.
const { ApolloClient, HttpLink, InMemoryCache, gql } = require("@apollo/client/core");
const { relayStylePagination } = require("@apollo/client/utilities");

const env = process.env;
const FORWARD = gql`
  query Forward($first: Int!, $after: String) {
    workOrders(first: $first, after: $after) {
      edges { cursor node { id number } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const BACKWARD = gql`
  query Backward($last: Int!, $before: String) {
    workOrders(last: $last, before: $before) {
      edges { cursor node { id number } }
      pageInfo { hasPreviousPage startCursor }
    }
  }
`;

async function main() {
  const forward = env.DIRECTION === "forward";
  const size = Number(env.PAGE_SIZE);
  const client = new ApolloClient({
    link: new HttpLink({ uri: env.PLANTGATE_URL, fetch, headers: { authorization: `Bearer ${env.PLANTGATE_TOKEN}` } }),
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { workOrders: relayStylePagination(["filter", "source"]) } } },
    }),
  });
  const watched = client.watchQuery({
    query: forward ? FORWARD : BACKWARD,
    variables: forward ? { first: size } : { last: size },
  });
  let result = await watched.result();
  let requests = 1;
  for (; requests < 1000; requests += 1) {
    if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
    const info = result.data.workOrders.pageInfo;
    if (forward ? !info.hasNextPage : !info.hasPreviousPage) break;
    await watched.fetchMore({ variables: forward ? { after: info.endCursor } : { before: info.startCursor } });
    result = watched.getCurrentResult();
  }
  const ids = result.data.workOrders.edges.map((edge) => edge.node.id);
  console.log(JSON.stringify({ requests, ids }));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : JSON.stringify(error));
  process.exit(1);
});
