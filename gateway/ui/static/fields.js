// A system's login form, generated from its credential fields (shared by Connect and re-authorize).
import { h } from './dom.js';

const INPUT_TYPES = { password: 'password', url: 'url', number: 'text', string: 'text' };

function field(id, label, input, help, required) {
  const helpId = help ? `${id}-help` : null;
  input.id = id;
  if (helpId) input.setAttribute('aria-describedby', helpId);
  if (required) input.required = true;
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? '' : h('span', { class: 'muted' }, ' (optional)')),
    input,
    help ? h('p', { class: 'help', id: helpId }, help) : null);
}

function needsInstanceUrl(system, hosting) {
  return !system.defaultBaseUrl || hosting === 'ON_PREMISES';
}

function instanceHelp(system, required, currentUrl) {
  if (currentUrl) return `Leave empty to keep ${currentUrl}.`;
  if (required) return `The address you open ${system.name} at, e.g. https://${system.key.replace('_', '-')}.example.com`;
  return `Leave empty to use ${system.defaultBaseUrl}.`;
}

/**
 * Inputs for the instance URL and every credential field; names are `instanceUrl` and `cred:<name>`.
 * With `currentUrl` (re-authorizing) the URL may stay as it is. With `inPlant` (the login is kept by an
 * on-premises agent) secrets are not asked for and the other fields are optional: left empty, the agent fills them.
 */
export function loginFields(system, hosting, prefix, currentUrl = null, inPlant = false) {
  const required = !currentUrl && needsInstanceUrl(system, hosting);
  const urlHelp = instanceHelp(system, required, currentUrl);
  const url = h('input', { name: 'instanceUrl', type: 'url', inputmode: 'url', autocomplete: 'url', spellcheck: 'false' });
  return [
    field(`${prefix}-instanceUrl`, 'Instance URL', url, urlHelp, required),
    ...system.credentialFields.filter((f) => !(inPlant && f.secret)).map((f) => {
      const input = h('input', {
        name: `cred:${f.name}`,
        type: f.secret ? 'password' : INPUT_TYPES[f.type] || 'text',
        inputmode: f.type === 'number' ? 'numeric' : null,
        autocomplete: f.secret ? 'new-password' : 'off',
        spellcheck: 'false',
        value: f.default || '',
      });
      const help = inPlant ? [f.help, "Leave empty to use the agent's value."].filter(Boolean).join(' ') : f.help;
      return field(`${prefix}-${f.name}`, f.label, input, help, f.required && !inPlant);
    }),
  ];
}

/** {instanceUrl, credentials} from a form built with loginFields (empty optional fields left out). */
export function readLogin(form) {
  const credentials = {};
  let instanceUrl = null;
  for (const [name, value] of new FormData(form).entries()) {
    if (name === 'instanceUrl') instanceUrl = value.trim() || null;
    else if (name.startsWith('cred:') && value !== '') credentials[name.slice(5)] = value;
  }
  return { instanceUrl, credentials };
}

/** Marks the inputs a failure is about, so screen readers announce them as invalid. */
export function markInvalid(form, names) {
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  let first = null;
  for (const name of names) {
    const input = form.querySelector(`[name="${name}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      first = first || input;
    }
  }
  if (first) first.focus();
}
