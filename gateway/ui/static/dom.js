// Tiny DOM helpers: build elements without innerHTML, so no value is ever parsed as markup.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

export function show(el, visible = true) {
  el.hidden = !visible;
}

export function when(value) {
  return value ? new Date(value).toLocaleString() : '—';
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A read-only secret with a Copy button and a polite confirmation for screen readers. */
export function copyField(id, label, value) {
  const input = h('input', { id, readonly: true, value, spellcheck: 'false', autocomplete: 'off' });
  const said = h('span', { class: 'muted', 'aria-live': 'polite' });
  const copy = async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      document.execCommand('copy');
    }
    said.textContent = 'Copied to the clipboard.';
  };
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('div', { class: 'copy' }, input, h('button', { type: 'button', onclick: copy }, 'Copy')),
    said);
}
