// The public API over fetch: credentials on every call, errors in the API's one shape.
import { authHeaders } from "./auth.js";

let apiBase = "";
let onUnauthorized = () => {};

export function configureApi(base, unauthorized) {
  apiBase = (base || "").replace(/\/$/, "");
  onUnauthorized = unauthorized;
}

export const apiUrl = (path) => `${apiBase}${path}`;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.errorCode = body?.error_code || "error";
    this.details = Array.isArray(body?.details) ? body.details : [];
    this.requestId = body?.request_id || null;
  }
}

export async function api(path, { method = "GET", json, form } = {}) {
  const headers = { accept: "application/json", ...authHeaders() };
  let body;
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(apiUrl(path), { method, headers, body });
  } catch (error) {
    throw new ApiError(0, { error_code: "network_error", message: `The API could not be reached (${error.message})` });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text.slice(0, 200) };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return { status: response.status, data };
}

/** A sentence for the planner: what went wrong and what to do. */
export function explain(error) {
  if (!(error instanceof ApiError)) return error?.message || String(error);
  const ref = error.requestId ? ` (request ${error.requestId})` : "";
  switch (error.status) {
    case 0:
      return error.message;
    case 401:
      return `Your credential was refused: sign in again. ${error.message}${ref}`;
    case 403:
      return `Your role does not allow this action. Ask for the role it needs. ${error.message}${ref}`;
    case 409:
      return `Not possible right now: ${error.message}${ref}`;
    case 410:
      return `Too late: ${error.message}. The approval expired; start the workflow again if it is still wanted.${ref}`;
    default:
      return `${error.message}${ref}`;
  }
}
