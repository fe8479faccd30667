// The admin dashboard: connections with live status (GraphQL subscription, no polling), credits,
// connect links, webhooks, on-premises agents. The admin key lives in sessionStorage only, never in a URL.
import { agentsPanel } from './agents.js';
import { $, copyField, h, plural, show, when } from './dom.js';
import { loginFields, markInvalid, readLogin } from './fields.js';
import { graphql, subscribe } from './gql.js';
import { auditPanel, requestsPanel } from './logs.js';
import { panel } from './settings.js';

const KEY = 'plantgate.adminKey';
const SYSTEM = `system { key name tier credentialFields { name label type secret required help }
  capabilities { entity read } }`;
const CONNECTION = `id name status statusReason credits hosting instanceUrl credentialsInPlant createdAt ${SYSTEM}
  syncStatus { entity state lastSucceededAt lastError nextRunAt recordsSynced }`;
const Q = {
  connections: `{ connections(first: 200) { totalCount nodes { ${CONNECTION} } } }`,
  connection: `query($id: ID!) { connection(id: $id) { ${CONNECTION} } }`,
  credits: '{ credits(ledgerSize: 20) { total used available ledger { id connectionId amount balanceAfter reason createdAt } } }',
  systems: '{ systems { key name hostings } }',
  links: '{ connectSessions(status: PENDING) { id connectionId system expiresAt createdAt } }',
  webhooks: `{ webhookEndpoints { id url events createdAt
    deliveries(first: 10) { id eventType status attempts lastStatusCode lastError createdAt deliveredAt } } }`,
};
const M = {
  sync: 'mutation($id: ID!) { triggerSync(id: $id) { id } }',
  rotate: 'mutation($id: ID!) { rotateConnectionToken(id: $id) { token connection { id name } } }',
  reauth: `mutation($id: ID!, $c: JSON!, $u: String) { reauthorizeConnection(id: $id, credentials: $c, instanceUrl: $u) { ${CONNECTION} } }`,
  disconnect: `mutation($id: ID!) { disconnect(id: $id) { ${CONNECTION} } }`,
  link: `mutation($input: CreateConnectSessionInput) { createConnectSession(input: $input) { url connection { ${CONNECTION} } } }`,
  redeliver: 'mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }',
  test: 'mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }',
  endpoint: 'mutation($url: String!) { createWebhookEndpoint(url: $url) { secret endpoint { id } } }',
};
const LIVE = {
  status: 'subscription { connectionStatusChanged { connectionId status previousStatus reason at } }',
  sync: 'subscription { syncEvents { connectionId type } }',
};

let key = null;
let stopLive = null;
const connections = new Map();

const gql = (query, variables) => graphql(key, query, variables);

function errorBox(box, error) {
  box.textContent = error ? error.message : '';
  show(box, Boolean(error));
}

// -- connections --------------------------------------------------------------

function syncSummary(c) {
  const states = c.syncStatus || [];
  if (c.status === 'PENDING') return 'Waiting for the connect link';
  if (!states.length) return 'Not synced yet';
  const failed = states.filter((s) => s.lastError && s.state !== 'SUCCEEDED'); // an old error of a since-good entity is history
  const unavailable = states.filter((s) => s.state === 'UNAVAILABLE').map((s) => s.entity);
  const running = states.filter((s) => s.state === 'RUNNING').length;
  const done = states.filter((s) => s.state === 'SUCCEEDED').length;
  const last = states.map((s) => s.lastSucceededAt).filter(Boolean).sort().pop();
  const next = states.map((s) => s.nextRunAt).filter(Boolean).sort()[0];
  return [
    `${done}/${states.length} entities synced`,
    running ? `${running} running` : null,
    last ? `last ${when(last)}` : null,
    next ? `next ${when(next)}` : null,
    unavailable.length ? `unavailable: ${unavailable.join(', ')}` : null,
    failed.length ? `error (${failed.map((s) => s.entity).join(', ')}): ${failed[0].lastError}` : null,
  ].filter(Boolean).join(' · ');
}

function actionButtons(c) {
  const buttons = [];
  const label = (text) => `${text}: ${c.name || 'pending connection'}`;
  const established = !['PENDING', 'DISCONNECTED'].includes(c.status);
  if (established) {
    buttons.push(h('button', { type: 'button', 'aria-label': label('Sync now'), onclick: (e) => syncNow(c, e.currentTarget) }, 'Sync now'));
    buttons.push(h('button', { type: 'button', 'aria-label': label('Rotate token'), onclick: (e) => rotate(c, e.currentTarget) }, 'Rotate token'));
  }
  if (c.status === 'REAUTH_REQUIRED') {
    buttons.push(h('button', { type: 'button', 'aria-label': label('Re-authorize'), onclick: () => reauthorize(c) }, 'Re-authorize'));
  }
  if (c.system) {
    buttons.push(h('button', { type: 'button', 'aria-label': label('Requests'), onclick: () => showRequests(c) }, 'Requests'));
  }
  if (c.status !== 'DISCONNECTED') {
    buttons.push(h('button', { type: 'button', class: 'danger', 'aria-label': label('Disconnect'), onclick: (e) => disconnect(c, e.currentTarget) }, 'Disconnect'));
  }
  return buttons;
}

function row(c) {
  const system = c.system ? `${c.system.name} · ${c.hosting === 'ON_PREMISES' ? 'on-premises' : 'cloud'}` : 'system not chosen yet';
  return h('tr', { 'data-connection-id': c.id },
    h('td', { 'data-label': 'Connection' }, h('strong', {}, c.name || '(unnamed)'), h('br'), h('span', { class: 'muted' }, system)),
    h('td', { 'data-label': 'Status' },
      h('span', { class: 'status', 'data-status': c.status }, c.status),
      c.statusReason ? h('div', { class: 'help' }, c.statusReason) : null),
    h('td', { 'data-label': 'Credits' }, String(c.credits)),
    h('td', { 'data-label': 'Sync', class: 'sync' }, syncSummary(c)),
    h('td', {}, h('div', { class: 'actions' }, actionButtons(c))));
}

function renderConnections() {
  const list = [...connections.values()];
  const head = h('thead', {}, h('tr', {}, ['Connection', 'Status', 'Credits', 'Sync', 'Actions'].map((t) => h('th', { scope: 'col' }, t))));
  $('#connections').replaceChildren(head, h('tbody', {}, list.map(row)));
  show($('#no-connections'), !list.length);
  renderSettings();
}

function upsert(c) {
  connections.set(c.id, c);
  const existing = document.querySelector(`tr[data-connection-id="${c.id}"]`);
  if (existing) existing.replaceWith(row(c));
  else renderConnections();
}

async function loadConnections() {
  const data = await gql(Q.connections);
  connections.clear();
  for (const c of data.connections.nodes) connections.set(c.id, c);
  renderConnections();
}

async function refreshConnection(id) {
  const data = await gql(Q.connection, { id });
  upsert(data.connection);
}

// -- live updates ---------------------------------------------------------------

function onStatus({ connectionStatusChanged: e }) {
  const known = connections.get(e.connectionId);
  if (known) {
    upsert({ ...known, status: e.status, statusReason: e.reason });
    $('#announcer').textContent = `${known.name || 'A connection'} is now ${e.status}${e.reason ? `: ${e.reason}` : ''}.`;
  }
  // Then the rest that changes with a status (credits, sync state, a completed link).
  refreshConnection(e.connectionId).catch(() => loadConnections());
  loadCredits();
  if (e.previousStatus === 'PENDING') loadLinks();
  if (agents) agents.refresh(); // an agent going offline turns its connections UNREACHABLE
}

function onSync({ syncEvents: e }) {
  refreshConnection(e.connectionId).catch(() => {});
}

function goLive() {
  stopLive = subscribe(key, { status: { query: LIVE.status, next: onStatus }, sync: { query: LIVE.sync, next: onSync } }, (state) => {
    const live = $('#live');
    live.dataset.state = state;
    live.textContent = { live: 'Live', offline: 'Reconnecting…', refused: 'Live updates refused: sign in again' }[state];
    if (state === 'live') loadConnections().catch(() => {}); // catch up on what happened while offline
  });
}

// -- actions ----------------------------------------------------------------------

function dialog(title, ...content) {
  const box = $('#dialog');
  box.replaceChildren(h('h2', { id: 'dialog-title' }, title), ...content);
  box.showModal();
  return box;
}

const closeButton = (label = 'Close') => h('button', { type: 'button', onclick: () => $('#dialog').close() }, label);

async function act(button, work) {
  button.disabled = true;
  try {
    await work();
    if (auditTrail) auditTrail.refresh();
  } catch (error) {
    $('#announcer').textContent = error.message;
    dialog('That did not work', h('p', { role: 'alert' }, error.message), closeButton());
  } finally {
    button.disabled = false;
  }
}

function syncNow(c, button) {
  act(button, async () => {
    await gql(M.sync, { id: c.id });
    $('#announcer').textContent = `Sync of ${c.name} requested.`;
  });
}

function rotate(c, button) {
  if (!window.confirm(`Rotate the token of ${c.name}? The current token stops working at once.`)) return;
  act(button, async () => {
    const { rotateConnectionToken: r } = await gql(M.rotate, { id: c.id });
    dialog(`New token for ${r.connection.name}`,
      copyField('new-token', 'Connection token', r.token),
      h('p', { class: 'warning' }, 'Shown only once: update your app with it now. The old token no longer works.'),
      closeButton('Done'));
  });
}

function disconnect(c, button) {
  if (!window.confirm(`Disconnect ${c.name || 'this pending connection'}? Its token stops working and its credits return to the pool.`)) return;
  act(button, async () => {
    upsert((await gql(M.disconnect, { id: c.id })).disconnect);
    await loadCredits();
  });
}

function reauthorize(c) {
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Check and save');
  const form = h('form', { novalidate: true },
    h('p', {}, c.credentialsInPlant
      ? `The login is kept by the on-premises agent in the plant: update it there (plantgate agent credentials set), then check it with ${c.system.name} here. Fields left empty use the agent's values.`
      : `${c.system.name} rejected the stored login. Enter the new one; it is checked with ${c.system.name} before it is saved.`),
    loginFields(c.system, c.hosting, 'reauth', c.instanceUrl || 'the current address', c.credentialsInPlant),
    error,
    h('div', { class: 'actions' }, submit, closeButton('Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const login = readLogin(form);
    submit.disabled = true;
    try {
      const data = await gql(M.reauth, { id: c.id, c: login.credentials, u: login.instanceUrl });
      upsert(data.reauthorizeConnection);
      $('#dialog').close();
      $('#announcer').textContent = `${c.name} is re-authorized.`;
    } catch (failure) {
      errorBox(error, failure);
      const secret = c.system.credentialFields.filter((f) => f.secret).map((f) => `cred:${f.name}`);
      markInvalid(form, failure.code === 'SYSTEM_AUTH_FAILED' ? secret : failure.code === 'SYSTEM_UNREACHABLE' ? ['instanceUrl'] : []);
    } finally {
      submit.disabled = false;
    }
  });
  dialog(`Re-authorize ${c.name}`, form);
  form.querySelector('input').focus();
}

// -- credits ----------------------------------------------------------------------

async function loadCredits() {
  const { credits } = await gql(Q.credits);
  $('#credit-stats').replaceChildren(...[['Available', credits.available], ['Used', credits.used], ['Total', credits.total]]
    .map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, String(value)))));
  const name = (id) => (connections.get(id) || {}).name || id;
  $('#ledger').replaceChildren(
    h('thead', {}, h('tr', {}, ['When', 'Connection', 'Change', 'Balance after', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, credits.ledger.map((e) => h('tr', {},
      h('td', {}, when(e.createdAt)), h('td', {}, name(e.connectionId)),
      h('td', {}, e.amount > 0 ? `+${e.amount}` : String(e.amount)), h('td', {}, String(e.balanceAfter)), h('td', {}, e.reason)))));
}

// -- connect links ----------------------------------------------------------------

async function loadLinks() {
  const { connectSessions } = await gql(Q.links);
  const name = (id) => (connections.get(id) || {}).name || '(unnamed)';
  $('#pending-links').replaceChildren(
    h('caption', { class: 'muted' }, connectSessions.length ? 'Links not used yet' : 'No open links.'),
    connectSessions.length ? h('thead', {}, h('tr', {}, ['Connection', 'System', 'Expires'].map((t) => h('th', { scope: 'col' }, t)))) : '',
    h('tbody', {}, connectSessions.map((s) => h('tr', {}, h('td', {}, name(s.connectionId)), h('td', {}, s.system || 'customer chooses'), h('td', {}, when(s.expiresAt))))));
}

async function createLink(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const values = Object.fromEntries(new FormData(form).entries());
  const input = { expiresInMinutes: Math.round(Number(values.hours || 24) * 60) };
  if (values.system) input.system = values.system;
  if (values.name.trim()) input.name = values.name.trim();
  if (values.redirectUrl.trim()) input.redirectUrl = values.redirectUrl.trim();
  try {
    const { createConnectSession: created } = await gql(M.link, { input });
    errorBox($('#link-error'), null);
    upsert(created.connection);
    $('#link-result').replaceChildren(copyField('link-url', 'Magic link (shown once: send it to your customer)', created.url));
    form.reset();
    await loadLinks();
  } catch (error) {
    errorBox($('#link-error'), error);
  }
}

// -- webhooks ---------------------------------------------------------------------

function deliveryRow(d) {
  const outcome = d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : d.lastError || '';
  return h('tr', { 'data-delivery-id': d.id },
    h('td', { 'data-label': 'Event' }, d.eventType),
    h('td', { 'data-label': 'Status' }, h('span', { class: 'status', 'data-status': d.status }, d.status)),
    h('td', { 'data-label': 'Attempts' }, String(d.attempts)), h('td', { 'data-label': 'Last answer' }, outcome),
    h('td', { 'data-label': 'Created' }, when(d.createdAt)),
    h('td', {}, h('button', { type: 'button', 'aria-label': `Redeliver ${d.eventType}`, onclick: (e) => act(e.currentTarget, async () => {
      await gql(M.redeliver, { id: d.id });
      $('#announcer').textContent = `${d.eventType} queued for redelivery.`;
      await loadWebhooks();
    }) }, 'Redeliver')));
}

async function loadWebhooks() {
  const { webhookEndpoints } = await gql(Q.webhooks);
  $('#webhooks').replaceChildren(...webhookEndpoints.map((e) => h('div', { class: 'card', 'data-endpoint-id': e.id },
    h('h3', {}, e.url),
    h('p', { class: 'muted' }, `Events: ${e.events.length ? e.events.join(', ') : 'all'}`),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: (ev) => act(ev.currentTarget, async () => {
      await gql(M.test, { id: e.id });
      await loadWebhooks();
    }) }, 'Send test event')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
      h('caption', { class: 'muted' }, e.deliveries.length ? 'Recent deliveries' : 'No deliveries yet.'),
      h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Last answer', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, e.deliveries.map(deliveryRow)))))));
}

async function addEndpoint(event) {
  event.preventDefault();
  const form = event.currentTarget;
  try {
    const { createWebhookEndpoint: created } = await gql(M.endpoint, { url: form.url.value.trim() });
    errorBox($('#webhook-error'), null);
    $('#webhook-secret').replaceChildren(copyField('webhook-secret-value', 'Signing secret (shown once)', created.secret));
    form.reset();
    await loadWebhooks();
  } catch (error) {
    errorBox($('#webhook-error'), error);
  }
}

// -- request log and audit trail ------------------------------------------------------

let requests = null;
let auditTrail = null;
let agents = null;
const asked = new Set(); // connections an agent serves that the list did not have

function showRequests(c) {
  if (!requests) return;
  requests.open(c.id);
  $('#requests-section').scrollIntoView();
  $('#requests-title').focus();
}

// -- settings (sync interval, custom fields and objects) ----------------------------

let settingsPanel = null;

function renderSettings() {
  if (settingsPanel) settingsPanel.render([...connections.values()]);
  if (requests) requests.render([...connections.values()]);
}

// -- sign in / out ------------------------------------------------------------------

async function enter(candidate) {
  key = candidate;
  await gql('{ credits { total } }'); // fails with UNAUTHENTICATED for a wrong key
  sessionStorage.setItem(KEY, key);
  show($('#sign-in'), false);
  show($('#account'));
  show($('#board'));
  const { systems } = await gql(Q.systems);
  $('#link-system').append(...systems.map((s) => h('option', { value: s.key }, s.name)));
  await loadConnections();
  settingsPanel = settingsPanel || panel({ gql, root: $('#settings') });
  renderSettings();
  [requests, auditTrail] = await Promise.all([
    requestsPanel({ gql, root: $('#requests') }),
    auditPanel({ gql, root: $('#audit') }),
  ]);
  renderSettings();
  agents = agentsPanel({
    gql,
    root: $('#agents-panel'),
    nameOf: (id) => (connections.get(id) || {}).name || null,
    unknown: (ids) => { // created since the list was read (e.g. with the API): read it again, once per id
      const fresh = ids.filter((id) => !asked.has(id));
      fresh.forEach((id) => asked.add(id));
      if (fresh.length) loadConnections().catch(() => {});
    },
    announce: (text) => { $('#announcer').textContent = text; },
  });
  await Promise.all([loadCredits(), loadLinks(), loadWebhooks(), requests.refresh(), agents.refresh()]);
  goLive();
}

function leave() {
  sessionStorage.removeItem(KEY);
  if (stopLive) stopLive();
  if (agents) agents.stop();
  window.location.reload();
}

async function signIn(event) {
  event.preventDefault();
  const input = $('#admin-key');
  try {
    await enter(input.value.trim());
    input.value = '';
  } catch (error) {
    key = null;
    errorBox($('#sign-in-error'), error.code === 'UNAUTHENTICATED' ? { message: 'This admin key is not valid.' } : error);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

function start() {
  $('#sign-in-form').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', leave);
  $('#link-form').addEventListener('submit', createLink);
  $('#webhook-form').addEventListener('submit', addEndpoint);
  $('#webhooks-refresh').addEventListener('click', () => loadWebhooks());
  const saved = sessionStorage.getItem(KEY);
  if (saved) {
    enter(saved).catch(() => {
      sessionStorage.removeItem(KEY);
      show($('#sign-in'));
    });
  } else {
    show($('#sign-in'));
    $('#admin-key').focus();
  }
}

start();
