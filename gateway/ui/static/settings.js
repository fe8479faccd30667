// Connection settings on the dashboard: sync interval, custom fields and objects, and field mappings,
// picked from what the connector discovers in the connected system.
import { h, show } from './dom.js';

const Q = {
  settings: 'query($id: ID!) { connectionSettings(id: $id) { syncIntervalSeconds customFields customObjects logBodies fieldMappings } }',
  remappable: 'query($entity: String!) { remappableFields(entity: $entity) { name type accepts } }',
  fields: `query($id: ID!, $entity: String!) { customFieldCandidates(id: $id, entity: $entity) {
    entity remotePath name type label filterable writable enumValues } }`,
  objects: `query($id: ID!) { customObjectCandidates(id: $id) {
    remoteName name plural idPath label fields { remotePath name type } } }`,
  save: `mutation($id: ID!, $input: ConnectionSettingsInput!) { updateConnectionSettings(id: $id, input: $input) {
    syncIntervalSeconds customFields customObjects logBodies fieldMappings } }`,
};
const ESTABLISHED = ['ACTIVE', 'DEGRADED', 'UNREACHABLE', 'REAUTH_REQUIRED'];

function checkList(name, items, isChecked, describe) {
  return h('fieldset', { class: 'choices' }, h('legend', {}, name),
    items.length ? items.map((item, i) => h('label', { class: 'choice' },
      h('input', { type: 'checkbox', 'data-index': String(i), checked: isChecked(item) }), ` ${describe(item)}`))
      : h('p', { class: 'muted' }, 'Nothing found.'));
}

function picked(fieldset, items) {
  return [...fieldset.querySelectorAll('input:checked')].map((input) => items[Number(input.dataset.index)]);
}

/** Per remappable unified field: where to read it from (the system's own mapping, or a discovered field). */
function mappingList(entity, targets, candidates, mappings) {
  const rows = targets.map((target) => {
    const now = mappings.find((m) => m.entity === entity && m.field === target.name);
    const id = `map-${target.name}`;
    const sources = candidates.filter((c) => target.accepts.includes(c.type));
    const source = h('select', { id, 'data-field': target.name },
      h('option', { value: '' }, "The system's own"),
      sources.map((c) => h('option', { value: c.remotePath }, `${c.label} (${c.remotePath}, ${c.type})`)));
    source.value = now ? now.remotePath : '';
    const filter = h('input', { type: 'checkbox', id: `${id}-filter`, 'aria-label': `Filter by ${target.name}`,
      checked: Boolean(now && now.filterable) });
    return h('div', { class: 'inline-form' },
      h('div', { class: 'field' }, h('label', { for: id }, `${target.name} (${target.type}) from`), source),
      h('label', { class: 'choice' }, filter, ' filterable'));
  });
  return h('fieldset', { class: 'choices mappings' }, h('legend', {}, `Field mappings of ${entity}`),
    rows.length ? rows : h('p', { class: 'muted' }, 'No field of this entity can be remapped.'));
}

function chosenMappings(fieldset, entity) {
  return [...fieldset.querySelectorAll('select[data-field]')].filter((select) => select.value).map((select) => ({
    entity, field: select.dataset.field, remotePath: select.value,
    filterable: fieldset.querySelector(`#${select.id}-filter`).checked,
  }));
}

const counts = (s) => `${s.customFields.length} custom field(s), ${s.customObjects.length} custom object(s), ${s.fieldMappings.length} field mapping(s)`;

/** The panel: `render(connections)` refreshes its connection picker. */
export function panel({ gql, root }) {
  const picker = h('select', { id: 'settings-connection' });
  const body = h('div');
  const said = h('p', { class: 'muted', 'aria-live': 'polite' });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  let current = null; // the opened connection, its settings and what was discovered
  let established = [];

  const fail = (failure) => {
    error.textContent = failure.message;
    show(error);
  };

  async function open(connection) {
    current = { connection, discovered: [], objects: null };
    show(error, false);
    said.textContent = '';
    const { connectionSettings: settings } = await gql(Q.settings, { id: connection.id });
    current.settings = settings;
    const entities = connection.system.capabilities.filter((c) => c.read).map((c) => c.entity);
    const interval = h('input', { id: 'settings-interval', type: 'number', min: '1', value: settings.syncIntervalSeconds ?? '', 'aria-describedby': 'settings-interval-help' });
    const bodies = h('input', { id: 'settings-bodies', type: 'checkbox', checked: settings.logBodies, 'aria-describedby': 'settings-bodies-help' });
    const entity = h('select', { id: 'settings-entity' }, entities.map((e) => h('option', { value: e }, e)));
    const fieldsBox = h('div');
    const mappingsBox = h('div');
    const objectsBox = h('div');
    const keep = (item) => current.settings.customFields.some((f) => f.entity === item.entity && f.remotePath === item.remotePath);

    const discoverFields = async () => {
      const { customFieldCandidates: found } = await gql(Q.fields, { id: connection.id, entity: entity.value });
      const { remappableFields: targets } = await gql(Q.remappable, { entity: entity.value });
      current.discovered = found;
      current.entity = entity.value;
      fieldsBox.replaceChildren(checkList(`Custom fields of ${entity.value}`, found, keep, (f) => `${f.label} (${f.remotePath}, ${f.type})`));
      mappingsBox.replaceChildren(mappingList(entity.value, targets, found, current.settings.fieldMappings));
    };
    const discoverObjects = async () => {
      const { customObjectCandidates: found } = await gql(Q.objects, { id: connection.id });
      current.objects = found;
      const chosen = (o) => current.settings.customObjects.some((c) => c.remoteName === o.remoteName);
      objectsBox.replaceChildren(checkList('Custom objects', found, chosen, (o) => `${o.label} → ${o.plural} (${o.fields.length} fields)`));
    };
    const guard = (work) => (event) => work(event).catch(fail);

    body.replaceChildren(
      h('div', { class: 'field' }, h('label', { for: 'settings-interval' }, 'Sync interval (seconds)'), interval,
        h('p', { class: 'help', id: 'settings-interval-help' }, 'Empty: the gateway default.')),
      h('div', { class: 'field' }, h('label', { class: 'choice', for: 'settings-bodies' }, bodies, ' Keep request and response bodies in the request log'),
        h('p', { class: 'help', id: 'settings-bodies-help' }, 'Redacted (credentials, tokens, passwords) and cut short. Off unless you need them.')),
      h('div', { class: 'inline-form' },
        h('div', { class: 'field' }, h('label', { for: 'settings-entity' }, 'Entity'), entity),
        h('button', { type: 'button', onclick: guard(discoverFields) }, 'Discover fields'),
        h('button', { type: 'button', onclick: guard(discoverObjects) }, 'Discover objects')),
      h('p', { class: 'muted' }, `Chosen now: ${counts(settings)}.`),
      fieldsBox, mappingsBox, objectsBox,
      h('button', { type: 'button', class: 'primary', onclick: guard(() => save(interval, bodies, fieldsBox, mappingsBox, objectsBox)) }, 'Save settings'));
  }

  async function save(interval, bodies, fieldsBox, mappingsBox, objectsBox) {
    const { connection, settings, discovered, objects } = current;
    const input = { syncIntervalSeconds: interval.value === '' ? null : Number(interval.value), logBodies: bodies.checked };
    const list = fieldsBox.querySelector('fieldset');
    const mappingSet = mappingsBox.querySelector('fieldset');
    if (mappingSet) {
      // Mappings of the listed entity come from the pickers; those of other entities stay as they were.
      const others = settings.fieldMappings.filter((m) => m.entity !== current.entity);
      input.fieldMappings = [...others, ...chosenMappings(mappingSet, current.entity)];
    }
    if (list) {
      // Fields of the listed entity come from the ticks; those of other entities stay as they were.
      const entity = discovered.length ? discovered[0].entity : null;
      const others = settings.customFields.filter((f) => f.entity !== entity);
      input.customFields = [...others, ...picked(list, discovered).map((f) => ({
        entity: f.entity, name: f.name, type: f.type, remotePath: f.remotePath,
        enumValues: f.enumValues.length ? f.enumValues : undefined, filterable: f.filterable, writable: f.writable,
      }))];
    }
    const objectList = objectsBox.querySelector('fieldset');
    if (objectList && objects) {
      input.customObjects = picked(objectList, objects).map((o) => ({
        name: o.name, plural: o.plural, remoteName: o.remoteName, idPath: o.idPath,
        fields: o.fields.map((f) => ({ name: f.name, type: f.type, remotePath: f.remotePath })),
      }));
    }
    const { updateConnectionSettings: saved } = await gql(Q.save, { id: connection.id, input });
    current.settings = saved;
    show(error, false);
    said.textContent = `Saved: ${counts(saved)}.`;
  }

  picker.addEventListener('change', () => {
    const chosen = established.find((c) => c.id === picker.value);
    if (chosen) open(chosen).catch(fail);
    else body.replaceChildren();
  });
  root.replaceChildren(
    h('div', { class: 'field' }, h('label', { for: 'settings-connection' }, 'Connection'), picker),
    error, body, said);

  return {
    render(connections) {
      established = connections.filter((c) => ESTABLISHED.includes(c.status));
      const selected = picker.value;
      picker.replaceChildren(h('option', { value: '' }, 'Choose a connection'),
        ...established.map((c) => h('option', { value: c.id }, `${c.name} (${c.system.name})`)));
      picker.value = established.some((c) => c.id === selected) ? selected : '';
    },
  };
}
