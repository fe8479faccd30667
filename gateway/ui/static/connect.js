// The Connect page: a customer opens a magic link, picks its system, signs in, and is connected.
import { $, copyField, h, plural, show, when } from './dom.js';
import { loginFields, markInvalid, readLogin } from './fields.js';
import { readRoute, routeBody, routeChoice, showPresence, showRoute } from './route.js';

const linkToken = decodeURIComponent(window.location.pathname.split('/').pop());
const HOSTING = { CLOUD: 'Cloud', ON_PREMISES: 'On-premises' };
let link = null;
let system = null;

async function api(method, body) {
  const response = await fetch('/connect/api/link', {
    method,
    headers: { Authorization: `Bearer ${linkToken}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json().catch(() => ({ error: { code: 'INTERNAL', message: `HTTP ${response.status}` } }));
  return { status: response.status, answer };
}

function closed(message) {
  for (const id of ['pick', 'login', 'done']) show($(`#${id}`), false);
  $('#intro').textContent = 'This link cannot be used.';
  const box = $('#closed');
  box.textContent = message;
  show(box);
}

function price(s) {
  return s.hostings.map((x) => `${HOSTING[x]}: ${plural(s.credits[x], 'credit')}`).join(' · ');
}

// -- step 1: pick a system ---------------------------------------------------

function renderSystems() {
  const needle = $('#search').value.trim().toLowerCase();
  const category = $('#category').value;
  const found = link.systems.filter((s) =>
    (!category || s.category === category) && `${s.name} ${s.vendor} ${s.key}`.toLowerCase().includes(needle));
  $('#systems').replaceChildren(...found.map((s) => h('li', {},
    h('button', { type: 'button', class: 'system', 'data-system': s.key, onclick: () => pick(s) },
      h('span', { class: 'system-name' }, s.name),
      h('span', { class: 'muted' }, `${s.vendor} · ${s.category} · Tier ${s.tier}`),
      h('span', { class: 'price' }, price(s))))));
  $('#match-count').textContent = found.length ? plural(found.length, 'system') : 'No system matches. Try another name or category.';
}

// -- step 2: sign in ---------------------------------------------------------

function hostingChoice() {
  const checked = document.querySelector('input[name="hosting"]:checked');
  return checked ? checked.value : system.hostings[0];
}

function keepTyped(box, children) {
  const typed = new Map([...box.querySelectorAll('input')].map((i) => [i.name, i.value]));
  box.replaceChildren(...children);
  for (const input of box.querySelectorAll('input')) if (typed.has(input.name)) input.value = typed.get(input.name);
}

function chosenRoute() {
  return readRoute($('#form'), link.agents);
}

function renderCredentials() {
  const route = chosenRoute();
  showRoute($('#form'), route);
  keepTyped($('#login-fields'), loginFields(system, hostingChoice(), 'login', null, route.inPlant));
  if (route.agent) $('#login-instanceUrl-help').textContent = `The address the agent's machine opens ${system.name} at, inside the plant.`;
}

// While an offered agent is offline on the on-premises path, the page asks again every few seconds,
// so an agent started meanwhile (as the warning asks) turns online here without a reload.
const PRESENCE_EVERY = 5000;
let presenceTimer = null;

function watchAgents() {
  clearTimeout(presenceTimer);
  const waiting = system && hostingChoice() === 'ON_PREMISES' && !$('#login').hidden && link.agents.some((a) => !a.online);
  if (waiting) presenceTimer = setTimeout(refreshAgents, PRESENCE_EVERY);
}

async function refreshAgents() {
  const reply = await api('GET').catch(() => null);
  if (reply && reply.status === 200) {
    const known = new Set(link.agents.map((a) => a.id));
    link.agents = reply.answer.agents.filter((a) => known.has(a.id));  // new agents appear on reload
    showPresence($('#form'), link.agents);
    showRoute($('#form'), chosenRoute());
  }
  watchAgents();
}

function renderLogin() {
  const hosting = hostingChoice();
  $('#route').replaceChildren(...(hosting === 'ON_PREMISES' ? routeChoice(link.agents, system, renderCredentials) : []));
  renderCredentials();
  watchAgents();
  $('#cost').textContent = `This connection uses ${plural(system.credits[hosting], 'credit')} of ${link.organization}'s pool (${system.name}, Tier ${system.tier}, ${HOSTING[hosting].toLowerCase()}).`;
}

function pick(chosen) {
  system = chosen;
  $('#system-name').textContent = system.name;
  $('#guide-text').textContent = system.authGuide || `Use the login you use for ${system.name}.`;
  const preset = link.preset.hosting;
  const offered = preset ? [preset] : system.hostings;
  $('#hosting').replaceChildren(h('legend', {}, 'Where does it run?'), ...offered.map((x, i) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'hosting', value: x, checked: i === 0, onchange: renderLogin }),
    ` ${HOSTING[x]} (${plural(system.credits[x], 'credit')})`)));
  const name = $('#name');
  if (!link.preset.name && !name.value) name.value = system.name;
  show($('#name-field'), !link.preset.name);
  show($('#change-system'), !link.preset.system);
  show($('#error'), false);
  renderLogin();
  show($('#pick'), false);
  show($('#login'));
  watchAgents();
  $('#login-title').focus();
}

function explain(error, login, route) {
  const where = login.instanceUrl || system.defaultBaseUrl || 'the address given';
  if (error.code === 'SYSTEM_UNREACHABLE' && route.agent) {
    return [`Could not reach ${system.name} at ${where} through the agent ${route.agent.name}. Check that the agent is running, that its machine can open this address${route.inPlant ? ', and that the login name is the one given to plantgate agent credentials set' : ''}.`,
      error.message, route.inPlant ? ['instanceUrl', 'agentCredentials'] : ['instanceUrl']];
  }
  switch (error.code) {
    case 'SYSTEM_AUTH_FAILED':
      return [`${system.name} did not accept these credentials. Check them and try again.`, error.message,
        system.credentialFields.filter((f) => f.secret).map((f) => `cred:${f.name}`)];
    case 'SYSTEM_UNREACHABLE':
      return [`Could not reach ${system.name} at ${where}. Check the address, and that the server can be reached from the internet.`,
        error.message, ['instanceUrl']];
    case 'INSUFFICIENT_CREDITS':
      return [`${link.organization} does not have enough connection credits for this connection (it needs ${plural(error.needed, 'credit')}, ${error.available} available). Nothing was created; please ask ${link.organization} to add credits.`, null, []];
    case 'BAD_USER_INPUT':
      return [error.message, null, [['instanceUrl', 'name', 'agentId', 'agentCredentials'].includes(error.field) ? error.field : `cred:${error.field}`]];
    default:
      return [error.message, null, []];
  }
}

function fail(error, login) {
  if (error.code === 'FORBIDDEN' && error.linkState) {
    closed(error.message);
    return;
  }
  const [headline, detail, fields] = explain(error, login, chosenRoute());
  const box = $('#error');
  box.replaceChildren(h('strong', {}, headline), detail ? h('span', { class: 'detail' }, ` (${detail})`) : '');
  show(box);
  markInvalid($('#form'), fields);
  if (!fields.length) box.focus();
}

async function submit(event) {
  event.preventDefault();
  const form = $('#form');
  const login = readLogin(form);
  const missing = [...form.querySelectorAll('input[required]')].filter((i) => !i.value.trim());
  if (missing.length) {
    fail({ code: 'BAD_USER_INPUT', message: `Please fill in: ${missing.map((i) => i.labels[0].firstChild.textContent).join(', ')}.` }, login);
    markInvalid(form, missing.map((i) => i.name));
    return;
  }
  const button = $('#submit');
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  $('#busy').textContent = `Checking your credentials with ${system.name}…`;
  show($('#error'), false);
  let redirecting = false;
  try {
    const { status, answer } = await api('POST', {
      system: system.key, hosting: hostingChoice(), name: $('#name').value, ...login, ...routeBody(chosenRoute()),
    });
    if (status !== 200) {
      fail(answer.error, login);
    } else if (answer.redirectTo) {
      redirecting = true;
      $('#busy').textContent = 'Connected. Taking you back…';
      window.location.assign(answer.redirectTo);
    } else {
      connected(answer);
    }
  } catch {
    fail({ code: 'INTERNAL', message: 'The gateway could not be reached. Check your network and try again.' }, login);
  } finally {
    button.disabled = redirecting;
    form.removeAttribute('aria-busy');
    if (!redirecting) $('#busy').textContent = '';
  }
}

function connected(answer) {
  show($('#login'), false);
  $('#done-name').textContent = answer.name;
  $('#token-box').replaceChildren(copyField('token', 'Connection token', answer.token));
  $('#intro').textContent = `${system.name} is now connected to ${link.organization}.`;
  show($('#done'));
  $('#done-title').focus();
}

// -- start ------------------------------------------------------------------

async function start() {
  let reply;
  try {
    reply = await api('GET');
  } catch {
    closed('The gateway could not be reached. Check your network and reload the page.');
    return;
  }
  const { status, answer } = reply;
  if (status !== 200) {
    closed(answer.message || (answer.error && answer.error.message) || 'This link is not valid.');
    return;
  }
  link = answer;
  $('#intro').textContent = `${link.organization} asks you to connect your maintenance or ERP system. It takes a minute; your credentials are checked with the system and stored encrypted. This link expires ${when(link.expiresAt)}.`;
  const categories = [...new Set(link.systems.map((s) => s.category))].sort();
  $('#category').append(...categories.map((c) => h('option', { value: c }, c)));
  $('#search').addEventListener('input', renderSystems);
  $('#category').addEventListener('change', renderSystems);
  $('#change-system').addEventListener('click', () => {
    show($('#login'), false);
    show($('#pick'));
    $('#search').focus();
  });
  $('#form').addEventListener('submit', submit);
  if (link.preset.name) $('#name').value = link.preset.name;
  if (link.preset.system) {
    pick(link.systems[0]);
  } else {
    renderSystems();
    show($('#pick'));
  }
}

start();
