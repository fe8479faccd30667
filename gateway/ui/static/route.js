// On premises: which of the organization's agents carries the calls, and whether the login is
// stored with the gateway (encrypted) or kept in the plant, in the agent's own encrypted file.
import { $, h, show } from './dom.js';

function radio(name, value, checked, onchange, ...label) {
  return h('label', { class: 'choice' }, h('input', { type: 'radio', name, value, checked, onchange }), ' ', ...label);
}

function presence(agent) {
  return h('span', { class: 'status', 'data-agent': agent.id, 'data-status': agent.online ? 'ONLINE' : 'OFFLINE' }, agent.online ? 'online' : 'offline');
}

/** Updates the agents' online/offline marks in place (the choices and what was typed stay). */
export function showPresence(form, agents) {
  for (const agent of agents) {
    const mark = form.querySelector(`.status[data-agent="${agent.id}"]`);
    if (mark) mark.replaceWith(presence(agent));
  }
}

/** The command that stores a login on the agent's machine, with the system's own field names. */
export function credentialsCommand(system) {
  return ['plantgate agent credentials set <name>', ...system.credentialFields.map((f) => `${f.name}=…`)].join(' ');
}

/** The agent and login-place choices for an on-premises connection (nothing when the organization has no agent). */
export function routeChoice(agents, system, onChange) {
  if (!agents.length) return [];
  const preferred = (agents.find((a) => a.online) || agents[0]).id;
  const name = h('input', { id: 'agent-credentials', name: 'agentCredentials', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'agent-credentials-help' });
  return [
    h('fieldset', { id: 'agent-choice', class: 'choices' },
      h('legend', {}, 'How does the gateway reach it?'),
      ...agents.map((a) => radio('agentId', a.id, a.id === preferred, onChange, `Through the on-premises agent ${a.name} `, presence(a))),
      radio('agentId', '', false, onChange, 'Directly: the server can be reached from the internet')),
    h('p', { id: 'agent-offline', class: 'warning', hidden: true },
      'This agent is offline: start it on its machine (plantgate agent), then connect. The check goes through it.'),
    h('fieldset', { id: 'login-place', class: 'choices' },
      h('legend', {}, 'Where is the login kept?'),
      radio('place', 'gateway', true, onChange, 'Store the login with the gateway (encrypted)'),
      radio('place', 'plant', false, onChange, "Keep it in the plant, on the agent's machine")),
    h('div', { id: 'plant-login', class: 'field', hidden: true },
      h('p', {}, "On the agent's machine, run:"),
      h('code', { class: 'body' }, credentialsCommand(system)),
      h('p', {}, 'with a name of your choice and your login, then give that name here. The login never leaves the plant.'),
      h('label', { for: 'agent-credentials' }, 'Login name on the agent'),
      name,
      h('p', { class: 'help', id: 'agent-credentials-help' }, 'The <name> given to plantgate agent credentials set, e.g. sap-prod.')),
  ];
}

/** {agent, inPlant, agentCredentials} as chosen in `form` (agent null: direct, or no agent offered). */
export function readRoute(form, agents) {
  const checked = (name) => (form.querySelector(`input[name="${name}"]:checked`) || {}).value;
  const agent = agents.find((a) => a.id === checked('agentId')) || null;
  const inPlant = Boolean(agent) && checked('place') === 'plant';
  const typed = form.querySelector('input[name="agentCredentials"]');
  return { agent, inPlant, agentCredentials: inPlant && typed ? typed.value.trim() : null };
}

/** Shows what the chosen route asks for: the login place with an agent, the login name when kept in the plant. */
export function showRoute(form, route) {
  const box = $('#plant-login', form);
  if (!box) return;
  show($('#agent-offline', form), Boolean(route.agent) && !route.agent.online);
  show($('#login-place', form), Boolean(route.agent));
  show(box, route.inPlant);
  $('#agent-credentials', form).required = route.inPlant;
}

/** The POST fields for the route. */
export function routeBody(route) {
  if (!route.agent) return {};
  return route.inPlant ? { agentId: route.agent.id, agentCredentials: route.agentCredentials } : { agentId: route.agent.id };
}
