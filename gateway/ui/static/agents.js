// The dashboard's Agents panel: each on-premises agent, online or not, its release, last heartbeat and
// the connections it carries. An agent's presence has no event of its own, so the panel reads it again
// every few seconds, and only while the organization has agents: one without any sends nothing.
import { h, plural, show, when } from './dom.js';

const AGENTS = '{ agents { id name online version lastHeartbeatAt connectedAt disconnectedAt connectionsServed } }';
const EVERY_MS = 5000;

function presence(a) {
  const since = a.online ? a.connectedAt : a.disconnectedAt;
  return [
    h('span', { class: 'status', 'data-status': a.online ? 'ONLINE' : 'OFFLINE' }, a.online ? 'online' : 'offline'),
    since ? h('div', { class: 'help' }, `since ${when(since)}`) : null,
  ];
}

function row(a, nameOf) {
  const served = a.connectionsServed;
  return h('tr', { 'data-agent-id': a.id },
    h('td', { 'data-label': 'Agent' }, h('strong', {}, a.name), h('div', { class: 'id' }, a.id)),
    h('td', { 'data-label': 'Status', class: 'presence' }, presence(a)),
    h('td', { 'data-label': 'Version', class: 'version' }, a.version || 'never connected'),
    h('td', { 'data-label': 'Last heartbeat', class: 'heartbeat' }, when(a.lastHeartbeatAt)),
    h('td', { 'data-label': 'Connections', class: 'served' },
      plural(served.length, 'connection'), served.length ? h('div', { class: 'help' }, served.map((id) => nameOf(id) || id).join(', ')) : null));
}

/**
 * The panel in `root`; `nameOf(connectionId)` names a connection (null: not known yet), `unknown(ids)` hears
 * of served connections it could not name, `announce(text)` tells screen readers when an agent goes offline
 * or comes back. Returns {refresh, stop}.
 */
export function agentsPanel({ gql, root, nameOf, unknown, announce }) {
  const table = h('table', { id: 'agents', class: 'stack' });
  const none = h('p', { class: 'muted' },
    'No on-premises agents. An agent runs inside a plant and carries the calls to the systems there; create one with the createAgent mutation.');
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const seen = new Map(); // id -> online, to announce changes
  let timer = null;
  let stopped = false;

  function render(agents) {
    const head = h('thead', {}, h('tr', {}, ['Agent', 'Status', 'Version', 'Last heartbeat', 'Connections'].map((t) => h('th', { scope: 'col' }, t))));
    table.replaceChildren(head, h('tbody', {}, agents.map((a) => row(a, nameOf))));
    show(table, agents.length > 0);
    show(none, !agents.length);
    const unnamed = agents.flatMap((a) => a.connectionsServed).filter((id) => !nameOf(id));
    if (unnamed.length) unknown(unnamed);
    for (const a of agents) {
      if (seen.has(a.id) && seen.get(a.id) !== a.online) announce(`Agent ${a.name} is now ${a.online ? 'online' : 'offline'}.`);
      seen.set(a.id, a.online);
    }
  }

  async function refresh() {
    clearTimeout(timer);
    let agents = [];
    try {
      agents = (await gql(AGENTS)).agents;
      error.hidden = true;
      render(agents);
    } catch (failure) {
      error.textContent = `Could not read the agents: ${failure.message}`;
      error.hidden = false;
    }
    clearTimeout(timer); // one chain of reads, however many refreshes overlapped
    if (!stopped && (agents.length || !error.hidden)) timer = setTimeout(refresh, EVERY_MS);
  }

  root.replaceChildren(error, h('div', { class: 'table-wrap' }, table), none);
  return {
    refresh,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
