// The console's only way to the emulator's state: the SSM JSON 1.1 API on this same origin, as an SDK calls it.
//
// Every call is SigV4-signed here, in the browser, with the credentials the user set (sessionStorage: they
// last as long as the tab). With signature verification off the emulator reads only the access key and
// region from the signature, so the defaults work and a 12-digit access key selects that account, as with
// boto3. With --verify-signatures the signature is checked like any client's: the user enters an access key and
// secret from the emulator's configuration, and a wrong one is refused with AWS's credential errors, shown as such.

import { hmacSha256, sha256, toHex, utf8 } from "./crypto.js";

const CONTENT_TYPE = "application/x-amz-json-1.1";
const STORAGE_KEY = "ssm-emulator-console.credentials";
export const DEFAULT_CREDENTIALS = Object.freeze({ accessKeyId: "test", secretAccessKey: "test", region: "us-east-1" });

/** @typedef {{accessKeyId: string, secretAccessKey: string, region: string}} Credentials */

/** @returns {Credentials} */
export function credentials() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    if (saved && saved.accessKeyId && saved.secretAccessKey && saved.region) return saved;
  } catch (_) { /* unreadable: fall back to the defaults */ }
  return { ...DEFAULT_CREDENTIALS };
}

export function hasSavedCredentials() {
  return sessionStorage.getItem(STORAGE_KEY) !== null;
}

/** @param {Credentials} value */
export function saveCredentials(value) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
}

// What AWS's front door answers for bad or missing credentials (HTTP 400 from a JSON service such as SSM).
const AUTH_ERRORS = new Set([
  "MissingAuthenticationTokenException", "UnrecognizedClientException", "InvalidSignatureException",
  "IncompleteSignatureException",
]);
const NOT_HERE = new Set(["NotImplementedException", "UnknownOperationException"]);

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
  get isAuth() { return this.status === 400 && AUTH_ERRORS.has(this.code); }
  /** The operation is not served by this emulator (yet): a view should say so rather than fail. */
  get notImplemented() { return NOT_HERE.has(this.code); }
}

/** `20240102T030405Z` */
function amzDate(now) {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** The SigV4 Authorization header for POST / with these headers (names lower-case). */
async function authorization(creds, headers, body) {
  const names = Object.keys(headers).sort();
  const canonical = [
    "POST", "/", "",
    names.map((n) => `${n}:${headers[n]}\n`).join(""),
    names.join(";"),
    toHex(await sha256(utf8(body))),
  ].join("\n");
  const day = headers["x-amz-date"].slice(0, 8);
  const scope = `${day}/${creds.region}/ssm/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", headers["x-amz-date"], scope, toHex(await sha256(utf8(canonical)))].join("\n");
  let key = utf8(`AWS4${creds.secretAccessKey}`);
  for (const part of [day, creds.region, "ssm", "aws4_request"]) key = await hmacSha256(key, utf8(part));
  const signature = toHex(await hmacSha256(key, utf8(toSign)));
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
}

/**
 * Call one SSM operation; resolves to its output, rejects with ApiError.
 * @param {string} operation e.g. "GetParameter" @param {object} input
 */
export async function call(operation, input = {}) {
  const creds = credentials();
  const body = JSON.stringify(input);
  const headers = {
    "content-type": CONTENT_TYPE,
    // The Host the browser sends: the page's own (location.host leaves out a default port, as browsers do).
    host: location.host,
    "x-amz-date": amzDate(new Date()),
    "x-amz-target": `AmazonSSM.${operation}`,
  };
  const sent = {
    "Content-Type": headers["content-type"],
    "X-Amz-Date": headers["x-amz-date"],
    "X-Amz-Target": headers["x-amz-target"],
    Authorization: await authorization(creds, headers, body),
  };
  const response = await fetch("/", { method: "POST", headers: sent, body, cache: "no-store" });
  const text = await response.text();
  let parsed = {};
  try { parsed = text ? JSON.parse(text) : {}; } catch (_) { parsed = { message: text }; }
  if (!response.ok) {
    const code = String(parsed.__type || "").split("#").pop() || `HTTP ${response.status}`;
    throw new ApiError(response.status, code, parsed.message || parsed.Message || "");
  }
  return parsed;
}

/**
 * Every item of a paged list operation, following NextToken (up to `limit` items).
 * @param {string} operation @param {object} input @param {string} key the list's member, e.g. "Parameters"
 */
export async function all(operation, input, key, limit = 2000) {
  const items = [];
  let token;
  do {
    const page = await call(operation, token ? { ...input, NextToken: token } : input);
    items.push(...(page[key] || []));
    token = page.NextToken;
  } while (token && items.length < limit);
  return items;
}
