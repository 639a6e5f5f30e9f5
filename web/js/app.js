// The planner's shell: configuration, sign-in, navigation and the hash routes.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { configureApi } from "./api.js";
import { currentSession, knownRoles, signOut } from "./auth.js";
import { SignIn } from "./views/signin.js";
import { Plan } from "./views/plan.js";
import { WorkflowList } from "./views/workflows.js";
import { WorkflowPage } from "./views/workflow.js";
import { Upload } from "./views/upload.js";
import { Results } from "./views/results.js";

const NAV = [
  ["#/plan", "Plan"],
  ["#/workflows", "Workflows"],
  ["#/upload", "Upload"],
];

function route() {
  const parts = (location.hash.replace(/^#\/?/, "") || "plan").split("/");
  return { name: parts[0], id: parts[1] ? decodeURIComponent(parts[1]) : null };
}

function socketBaseFrom(config) {
  if (config.websocketUrl) return config.websocketUrl;
  if (config.apiBase) return ""; // another origin without a socket URL: poll
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

function App({ config }) {
  const [session, setSession] = useState(currentSession());
  const [where, setWhere] = useState(route());
  const [notice, setNotice] = useState(null);

  useEffect(() => {
    const onHash = () => setWhere(route());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    configureApi(config.apiBase, () => {
      signOut();
      setSession(null);
      setNotice("Your credential was refused (401): sign in again.");
    });
  }, []);
  useEffect(() => {
    const main = document.getElementById("main");
    if (main) main.focus({ preventScroll: true });
    const heading = document.querySelector("main h1");
    document.title = `${heading ? heading.textContent + " – " : ""}Fashion Forecast planner`;
  }, [where.name, where.id, session]);

  if (!session) {
    return html`<${Shell} session=${null}>
      <${SignIn} config=${config} notice=${notice} onSignedIn=${(s) => { setNotice(null); setSession(s); }} />
    <//>`;
  }
  const socketBase = socketBaseFrom(config);
  let view;
  switch (where.name) {
    case "workflows":
      view = html`<${WorkflowList} />`;
      break;
    case "workflow":
      view = html`<${WorkflowPage} key=${where.id} workflowId=${where.id} socketBase=${socketBase} />`;
      break;
    case "forecast":
      view = html`<${Results} key=${where.id} forecastId=${where.id} />`;
      break;
    case "upload":
      view = html`<${Upload} />`;
      break;
    default:
      view = html`<${Plan} />`;
  }
  return html`<${Shell} session=${session} current=${where.name}
      onSignOut=${() => { signOut(); setSession(null); }}>${view}<//>`;
}

function Shell({ session, current, onSignOut, children }) {
  const roles = session ? knownRoles(session) : null;
  const who = !session
    ? null
    : session.kind === "api_key"
      ? "API key"
      : `${session.username} (${roles.length ? roles.join(", ") : "no role"})`;
  return html`
    <header class="top">
      <p class="brand">Fashion Forecast</p>
      ${session &&
      html`<nav aria-label="Main">
        <ul>
          ${NAV.map(
            ([href, text]) => html`<li>
              <a href=${href} aria-current=${href === `#/${current}` || (current === "plan" && href === "#/plan") ? "page" : undefined}>${text}</a>
            </li>`,
          )}
        </ul>
      </nav>`}
      ${session &&
      html`<div class="who">
        <span>Signed in: ${who}</span>
        <button type="button" class="secondary" onClick=${onSignOut}>Sign out</button>
      </div>`}
    </header>
    <main id="main" tabindex="-1">${children}</main>`;
}

async function start() {
  let config = {};
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) config = await response.json();
  } catch {
    /* no config: same-origin defaults */
  }
  const root = document.getElementById("root");
  root.textContent = "";
  render(html`<${App} config=${config} />`, root);
}

start();
