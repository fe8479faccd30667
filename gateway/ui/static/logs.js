// The dashboard's Requests panel (the request log of one connection, or of all) and Audit panel (the
// organization's admin actions): filters, newest first, paged with the lists' cursors.
import { h, plural, show, when } from './dom.js';

const ENUM = 'query($name: String!) { __type(name: $name) { enumValues { name } } }';
const REQUESTS = `query($c: ID, $kind: RequestKind, $outcome: RequestOutcome, $status: Int, $request: String,
    $first: Int, $after: String, $last: Int, $before: String) {
  requestLogs(connectionId: $c, kind: $kind, outcome: $outcome, status: $status, requestId: $request,
              first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id connectionId at kind method path query status outcome durationMs attempt requestId error
            requestBody responseBody } } }`;
const AUDIT = `query($action: AuditAction, $key: String, $first: Int, $after: String, $last: Int, $before: String) {
  auditEvents(action: $action, keyId: $key, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id at action actorType actorId targetType targetId changes requestId } } }`;
const PAGE = 20;

async function enumValues(gql, name) {
  const { __type: type } = await gql(ENUM, { name });
  return type.enumValues.map((v) => v.name);
}

function choice(id, label, values, all) {
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id }, h('option', { value: '' }, all), values.map((v) => h('option', { value: v }, v))));
}

/**
 * A list read page by page: `read(variables)` answers {nodes, pageInfo, totalCount}, `row(node)` draws one.
 * `load(filters)` shows the newest page for new filters; Newer and Older follow the cursors.
 */
function pagedTable({ id, name, headings, read, row, onError }) {
  const table = h('table', { id, class: 'stack' });
  const summary = h('p', { class: 'muted', 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', disabled: true, 'aria-label': `Newer ${name}s` }, 'Newer');
  const older = h('button', { type: 'button', disabled: true, 'aria-label': `Older ${name}s` }, 'Older');
  let filters = {};
  let info = null;

  async function display(window) {
    try {
      const list = await read({ ...filters, ...window });
      info = list.pageInfo;
      table.replaceChildren(
        h('thead', {}, h('tr', {}, headings.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.nodes.map(row)));
      summary.textContent = list.nodes.length ? `${plural(list.totalCount, name)} found.` : `No ${name}s found.`;
      newer.disabled = !info.hasPreviousPage;
      older.disabled = !info.hasNextPage;
    } catch (error) {
      onError(error);
    }
  }

  newer.addEventListener('click', () => display({ last: PAGE, before: info.startCursor }));
  older.addEventListener('click', () => display({ first: PAGE, after: info.endCursor }));
  return {
    element: h('div', {}, summary, h('div', { class: 'table-wrap' }, table), h('div', { class: 'actions' }, newer, older)),
    load(given) {
      filters = given;
      return display({ first: PAGE });
    },
  };
}

function errorBox() {
  const box = h('div', { class: 'error', role: 'alert', hidden: true });
  return { box, fail: (error) => { box.textContent = error.message; show(box); }, clear: () => show(box, false) };
}

function more(...parts) {
  const shown = parts.filter(([, value]) => value);
  if (!shown.length) return '';
  return h('details', {}, h('summary', {}, 'Details'),
    shown.map(([label, value]) => h('div', {}, h('strong', {}, label), h('pre', { class: 'body' }, value))));
}

/** The Requests panel: `render(connections)` refreshes the picker, `open(id)` shows one connection's calls. */
export async function requestsPanel({ gql, root }) {
  const [kinds, outcomes] = await Promise.all([enumValues(gql, 'RequestKind'), enumValues(gql, 'RequestOutcome')]);
  const picker = h('select', { id: 'requests-connection' });
  const status = h('input', { id: 'requests-status', type: 'number', min: '100', max: '599', inputmode: 'numeric' });
  const requestId = h('input', { id: 'requests-request-id', autocomplete: 'off', spellcheck: 'false' });
  const error = errorBox();
  let names = new Map();
  const list = pagedTable({
    id: 'request-log',
    name: 'call',
    headings: ['When', 'Connection', 'Kind', 'Call', 'Status', 'Outcome', 'Time', 'Attempt', 'Request id', ''],
    read: async (variables) => (await gql(REQUESTS, variables)).requestLogs,
    row: (e) => h('tr', { 'data-request-log-id': e.id },
      h('td', { 'data-label': 'When' }, when(e.at)),
      h('td', { 'data-label': 'Connection' }, e.connectionId ? names.get(e.connectionId) || e.connectionId : 'before connecting'),
      h('td', { 'data-label': 'Kind' }, e.kind),
      h('td', { 'data-label': 'Call' }, h('code', {}, `${e.method} ${e.path}`)),
      h('td', { 'data-label': 'Status' }, e.status === null ? '—' : String(e.status)),
      h('td', { 'data-label': 'Outcome' }, h('span', { class: 'status', 'data-status': e.outcome }, e.outcome)),
      h('td', { 'data-label': 'Time' }, `${e.durationMs} ms`),
      h('td', { 'data-label': 'Attempt' }, String(e.attempt)),
      h('td', { 'data-label': 'Request id' }, e.requestId || '—'),
      h('td', {}, more(['Query', e.query], ['Error', e.error], ['Request body', e.requestBody], ['Response body', e.responseBody]))),
    onError: error.fail,
  });
  const form = h('form', { class: 'inline-form', id: 'requests-filters' },
    h('div', { class: 'field' }, h('label', { for: 'requests-connection' }, 'Calls of'), picker),
    choice('requests-kind', 'Kind', kinds, 'Every kind'),
    choice('requests-outcome', 'Outcome', outcomes, 'Every outcome'),
    h('div', { class: 'field' }, h('label', { for: 'requests-status' }, 'HTTP status'), status),
    h('div', { class: 'field' }, h('label', { for: 'requests-request-id' }, 'Request id'), requestId),
    h('button', { type: 'submit' }, 'Show calls'));
  const apply = () => {
    error.clear();
    const value = (id) => form.querySelector(`#${id}`).value || undefined;
    return list.load({
      c: value('requests-connection'),
      kind: value('requests-kind'),
      outcome: value('requests-outcome'),
      status: status.value ? Number(status.value) : undefined,
      request: requestId.value.trim() || undefined,
    });
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  root.replaceChildren(form, error.box, list.element);
  return {
    render(connections) {
      names = new Map(connections.map((c) => [c.id, c.name || c.id]));
      const selected = picker.value;
      picker.replaceChildren(h('option', { value: '' }, 'Every connection'),
        ...connections.map((c) => h('option', { value: c.id }, c.name || '(unnamed)')));
      picker.value = names.has(selected) ? selected : '';
    },
    open(connectionId) {
      picker.value = connectionId;
      return apply();
    },
    refresh: apply,
  };
}

function changeList(changes) {
  const entries = Object.entries(changes);
  if (!entries.length) return '—';
  return h('ul', { class: 'changes' }, entries.map(([name, value]) => h('li', {},
    h('strong', {}, name), ': ', typeof value === 'string' ? value : JSON.stringify(value))));
}

/** The Audit panel: the organization's admin actions, by action or admin key. */
export async function auditPanel({ gql, root }) {
  const actions = await enumValues(gql, 'AuditAction');
  const key = h('input', { id: 'audit-key', autocomplete: 'off', spellcheck: 'false' });
  const error = errorBox();
  const list = pagedTable({
    id: 'audit-log',
    name: 'action',
    headings: ['When', 'Action', 'By', 'Target', 'Change'],
    read: async (variables) => (await gql(AUDIT, variables)).auditEvents,
    row: (e) => h('tr', { 'data-audit-id': e.id },
      h('td', { 'data-label': 'When' }, when(e.at)),
      h('td', { 'data-label': 'Action' }, e.action),
      h('td', { 'data-label': 'By' }, e.actorType, e.actorId ? h('div', { class: 'id' }, e.actorId) : ''),
      h('td', { 'data-label': 'Target' }, e.targetType, e.targetId ? h('div', { class: 'id' }, e.targetId) : ''),
      h('td', { 'data-label': 'Change' }, changeList(e.changes))),
    onError: error.fail,
  });
  const form = h('form', { class: 'inline-form', id: 'audit-filters' },
    choice('audit-action', 'Action', actions, 'Every action'),
    h('div', { class: 'field' }, h('label', { for: 'audit-key' }, 'Key id'), key),
    h('button', { type: 'submit' }, 'Show actions'));
  const apply = () => {
    error.clear();
    return list.load({ action: form.querySelector('#audit-action').value || undefined, key: key.value.trim() || undefined });
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  root.replaceChildren(form, error.box, list.element);
  await apply();
  return { refresh: apply };
}
