// Sign in with an API key or as a Cognito user (USER_PASSWORD_AUTH).
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { cognitoSignIn, saveSession } from "../auth.js";
import { Message } from "../ui.js";

export function SignIn({ config, notice, onSignedIn }) {
  const cognito = config.cognito || {};
  const [mode, setMode] = useState(cognito.clientId ? "cognito" : "api_key");
  const [apiKey, setApiKey] = useState("");
  const [endpoint, setEndpoint] = useState(cognito.endpoint || "");
  const [clientId, setClientId] = useState(cognito.clientId || "");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    if (mode === "api_key") {
      if (!apiKey.trim()) return setError("Enter the API key.");
      const session = { kind: "api_key", apiKey: apiKey.trim() };
      saveSession(session);
      return onSignedIn(session);
    }
    if (!endpoint || !clientId || !username || !password) {
      return setError("Enter the Cognito endpoint, app client id, user name and password.");
    }
    setBusy(true);
    try {
      const session = await cognitoSignIn({ endpoint, clientId, username, password });
      saveSession(session);
      onSignedIn(session);
    } catch (failure) {
      setError(failure.message);
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="narrow">
    <h1>Sign in</h1>
    ${notice && html`<${Message} kind="error">${notice}<//>`}
    <form onSubmit=${submit} novalidate>
      <fieldset class="choice">
        <legend>Sign in with</legend>
        <label><input type="radio" name="mode" value="api_key" checked=${mode === "api_key"}
          onChange=${() => setMode("api_key")} /> an API key</label>
        <label><input type="radio" name="mode" value="cognito" checked=${mode === "cognito"}
          onChange=${() => setMode("cognito")} /> a Cognito user</label>
      </fieldset>
      ${mode === "api_key"
        ? html`<div class="field">
            <label for="api-key">API key</label>
            <input id="api-key" type="password" autocomplete="off" value=${apiKey}
              onInput=${(e) => setApiKey(e.target.value)} aria-describedby="api-key-help" />
            <p id="api-key-help" class="help">Kept in this tab only (session storage); sent as <code>x-api-key</code>.</p>
          </div>`
        : html`<div class="field">
              <label for="username">User name</label>
              <input id="username" autocomplete="username" value=${username} onInput=${(e) => setUsername(e.target.value)} />
            </div>
            <div class="field">
              <label for="password">Password</label>
              <input id="password" type="password" autocomplete="current-password" value=${password}
                onInput=${(e) => setPassword(e.target.value)} />
            </div>
            <details open=${!cognito.clientId}>
              <summary>Cognito settings</summary>
              <div class="field">
                <label for="cognito-endpoint">Cognito endpoint</label>
                <input id="cognito-endpoint" type="url" value=${endpoint} placeholder="https://cognito-idp.eu-west-1.amazonaws.com/"
                  onInput=${(e) => setEndpoint(e.target.value)} />
              </div>
              <div class="field">
                <label for="cognito-client">App client id</label>
                <input id="cognito-client" value=${clientId} onInput=${(e) => setClientId(e.target.value)} />
              </div>
            </details>`}
      ${error && html`<${Message} kind="error">${error}<//>`}
      <button type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
    </form>
  </section>`;
}
