// GraphQL over HTTP and subscriptions over graphql-transport-ws, in a few lines (no library, no CDN).

export class GraphQLError extends Error {
  constructor(error) {
    super(error.message);
    this.extensions = error.extensions || {};
    this.code = this.extensions.code || 'INTERNAL';
  }
}

export async function graphql(token, query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLError({ message: `The gateway answered HTTP ${response.status}.` });
  }
  if (body.errors && body.errors.length) throw new GraphQLError(body.errors[0]);
  return body.data;
}

/**
 * Live subscriptions on one socket: `subscriptions` maps an id to {query, next}.
 * The token goes in connection_init (browsers cannot set WebSocket headers).
 * A dropped socket reconnects with backoff; `onState` hears 'live', 'offline' or 'refused'.
 * Returns a function that closes it for good.
 */
export function subscribe(token, subscriptions, onState) {
  let socket;
  let stopped = false;
  let delay = 500;
  const send = (message) => socket.send(JSON.stringify(message));
  const open = () => {
    const url = new URL('/graphql', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => send({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } });
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        delay = 500;
        for (const [id, { query }] of Object.entries(subscriptions)) send({ id, type: 'subscribe', payload: { query } });
        onState('live');
      } else if (message.type === 'next' && subscriptions[message.id]) {
        subscriptions[message.id].next(message.payload.data);
      } else if (message.type === 'ping') {
        send({ type: 'pong' });
      }
    };
    socket.onclose = (event) => {
      if (stopped) return;
      if (event.code === 4403) {
        onState('refused');
        return;
      }
      onState('offline');
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    };
  };
  open();
  return () => {
    stopped = true;
    socket.close(1000);
  };
}
