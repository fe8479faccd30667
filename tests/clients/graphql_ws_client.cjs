// The npm graphql-ws client (graphql-transport-ws) in Node: a query with a connection token, then an
// admin subscription that sees a disconnect made over HTTP. Prints one JSON line.
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");

const env = process.env;
const QUERY = "{ workOrders(first: 2) { nodes { remoteId } } }";
const SUBSCRIPTION = "subscription { connectionStatusChanged { connectionId status previousStatus } }";
const DISCONNECT = "mutation($id: ID!) { disconnect(id: $id) { id } }";

function connect(token, protocols) {
  return createClient({
    url: env.PLANTGATE_WS_URL,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: { connected: (socket) => protocols.push(socket.protocol) },
  });
}

function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const protocols = [];
  const data = connect(env.CONNECTION_TOKEN, protocols);
  const answers = data.iterate({ query: QUERY });
  const query = (await within(answers.next(), 20000, "query result")).value;
  await answers.return();

  const admin = connect(env.ADMIN_KEY, protocols);
  const events = admin.iterate({ query: SUBSCRIPTION });
  const firstEvent = events.next();
  await new Promise((resolve) => setTimeout(resolve, 500)); // subscribed before the change
  const response = await fetch(env.PLANTGATE_URL, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${env.ADMIN_KEY}` },
    body: JSON.stringify({ query: DISCONNECT, variables: { id: env.DISCONNECT_ID } }),
  });
  const disconnected = await response.json();
  const event = (await within(firstEvent, 20000, "subscription event")).value;
  await events.return();
  await Promise.all([data.dispose(), admin.dispose()]);
  console.log(JSON.stringify({ protocols, query, disconnected, event }));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : JSON.stringify(error));
  process.exit(1);
});
