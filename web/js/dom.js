// Small helpers that build the page from data. Text always goes in as
// text nodes, never as HTML, so a host name or a ticket comment cannot
// inject markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      element.className = value;
    } else if (value === true) {
      element.setAttribute(key, '');
    } else {
      element.setAttribute(key, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  append(element, children);
  return element;
}

// A table with a caption, column headings and one row per item.
export function table(caption, columns, items, { empty = 'Nothing to show.' } = {}) {
  if (items.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col' }, column.label)))),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          {},
          columns.map((column) => h('td', {}, column.value(item))),
        ),
      ),
    ),
  );
}

// A labelled form field. `control` is an <input>, <select> or <textarea>
// whose id is set here.
let fieldCounter = 0;
export function field(label, control, hint) {
  const id = control.id || `field-${++fieldCounter}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: hintId }, hint) : null,
  );
}

export function select(name, options, selected) {
  return h(
    'select',
    { name },
    options.map(([value, label]) => h('option', { value, selected: value === selected }, label)),
  );
}

export function badge(text, kind = text) {
  return h('span', { class: `badge badge-${String(kind).replace(/[^a-z0-9_-]/gi, '')}` }, text);
}

export function link(href, text) {
  return h('a', { href }, text);
}

export function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function announce(text) {
  const status = document.getElementById('status');
  status.textContent = text;
}

export function errorBox(error) {
  return h('div', { class: 'error', role: 'alert' }, error.message || String(error));
}

// Replaces the content of `container` with `children`.
export function show(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

// A page's state in the address, "key=value&key=value" after its path, so
// that bookmarks and the back button work. `defaults` names the keys; a
// number default makes the value a number.
export function readHashState(text, defaults) {
  const state = { ...defaults };
  for (const part of (text || '').split('&')) {
    const [key, value] = part.split('=');
    if (!(key in state)) continue;
    state[key] = typeof defaults[key] === 'number' ? Number(value) || 0 : decodeURIComponent(value || '');
  }
  return state;
}

// The address of `state` under `prefix` ("#/hosts/"), leaving out empty
// values and zeros.
export function hashOfState(prefix, state) {
  const parts = Object.entries(state)
    .filter(([, value]) => value !== '' && value !== 0)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
  return `${prefix}${parts.join('&')}`;
}
