// The signed-in credential, kept in sessionStorage (gone when the tab closes): an API key or
// a Cognito user's tokens. REST calls send `x-api-key` or `Authorization: Bearer <id token>`;
// the WebSocket, which cannot carry headers, sends `api_key=` or `token=` in its query string.
const KEY = "ff.session";
export const ROLES = ["viewer", "planner", "approver"];

export function currentSession() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (stored && stored.kind === "cognito" && stored.expiresAt < Date.now()) return null;
    return stored;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export function authHeaders(session = currentSession()) {
  if (!session) return {};
  if (session.kind === "api_key") return { "x-api-key": session.apiKey };
  return { Authorization: `Bearer ${session.idToken}` };
}

export function socketQuery(session = currentSession()) {
  if (!session) return "";
  if (session.kind === "api_key") return `api_key=${encodeURIComponent(session.apiKey)}`;
  return `token=${encodeURIComponent(session.idToken)}`;
}

/** The JWT's payload (no verification: the API verifies; the UI only reads the groups). */
export function jwtClaims(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const text = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
  return JSON.parse(decodeURIComponent(escape(text)));
}

/** The caller's roles when the credential says them (a Cognito token's `cognito:groups`),
 * null when it does not (an API key): then every control shows and a 403 explains. */
export function knownRoles(session = currentSession()) {
  if (!session || session.kind !== "cognito") return null;
  const groups = session.groups || [];
  return ROLES.filter((role) => groups.includes(role)); // in ROLES' order, whatever the token's
}

export function can(role, session = currentSession()) {
  const roles = knownRoles(session);
  // reading comes with every role, as in the API (Caller.has)
  return roles === null || roles.includes(role) || (role === "viewer" && roles.length > 0);
}

/** Cognito `InitiateAuth` (USER_PASSWORD_AUTH) against `endpoint` (AWS's
 * https://cognito-idp.<region>.amazonaws.com/, or the local runtime's moto). */
export async function cognitoSignIn({ endpoint, clientId, username, password }) {
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch (error) {
    throw new Error(`Cognito could not be reached at ${endpoint} (${error.message})`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.message || body.Message || `Cognito refused the sign-in (${response.status})`);
  }
  if (!body.AuthenticationResult) {
    throw new Error(`Cognito asks for ${body.ChallengeName || "another step"}: finish it outside the planner`);
  }
  const { IdToken, AccessToken, ExpiresIn } = body.AuthenticationResult;
  const claims = jwtClaims(IdToken);
  return {
    kind: "cognito",
    idToken: IdToken,
    accessToken: AccessToken,
    username: claims["cognito:username"] || username,
    groups: claims["cognito:groups"] || [],
    expiresAt: Date.now() + (ExpiresIn || 3600) * 1000,
  };
}
