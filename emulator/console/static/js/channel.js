// A Session Manager data-channel client for the browser shell: the session-manager-plugin's side of the
// protocol (shared/reference/session-protocol.md), for shell sessions only.
//
// The websocket is the StreamUrl StartSession returned; its first frame is the text OpenDataChannelInput carrying
// the TokenValue, then every frame is one binary message: a 116-byte header after its 4-byte length, the payload's
// SHA-256, big-endian numbers, the message id's UUID halves swapped. Output is taken in sequence and acked; input
// is numbered, kept until acked and resent, as the plugin does.
//
// A websocket that closes without channel_closed is resumed, as the plugin resumes it: ResumeSession gives a new
// token, a new websocket opens with a new OpenDataChannelInput (same ClientId), and both sides carry on with their
// sequence numbers. The service sends its unacked output again; what was taken already is recognised by its
// sequence number and only re-acked. Unacked input is resent at once.

import { randomUuid, sha256, utf8 } from "./crypto.js";

const HEADER_LENGTH = 116;
const PAYLOAD_OFFSET = HEADER_LENGTH + 4;
export const PayloadType = Object.freeze({
  Output: 1, Size: 3, HandshakeRequest: 5, HandshakeResponse: 6, HandshakeComplete: 7,
});
const SHELL_TYPES = new Set(["Standard_Stream", "InteractiveCommands", "NonInteractiveCommands"]);
// A 4-part dotted version, as the agent side compares them; the plugin built from source reports the same.
const CLIENT_VERSION = "1.2.0.0";
const RESEND_SCAN_MS = 100;
const RTO_MS = 200;
const MAX_INPUT_PAYLOAD = 1024; // the plugin never sends more in one message
// Waits before each resume attempt. The plugin resumes at once and keeps trying for minutes; a browser tab gives
// up sooner and says so, since the page can simply start a new session.
const RESUME_DELAYS_MS = [0, 500, 1000, 2000, 4000];
// A resumed websocket that stays open this long counts as working again: the service may have nothing to send,
// and a refused token closes the socket at once (1008), which must count as a failed attempt, not a success.
const RESUMED_STABLE_MS = 2000;
const decoder = new TextDecoder();

/** A UUID string into the wire's 16 bytes: bytes 8-15 first, then 0-7 (the Java two-long layout). */
function uuidToWire(text) {
  const hex = text.replace(/-/g, "");
  const bytes = Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
  return Uint8Array.of(...bytes.slice(8, 16), ...bytes.slice(0, 8));
}

function uuidFromWire(bytes) {
  const b = Uint8Array.of(...bytes.slice(8, 16), ...bytes.slice(0, 8));
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One message as a frame. @param {{type: string, seq: number, flags: number, payloadType: number,
 * payload: Uint8Array, id?: string}} m @returns {Promise<Uint8Array>}
 */
export async function encodeMessage(m) {
  const frame = new Uint8Array(PAYLOAD_OFFSET + m.payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, HEADER_LENGTH);
  frame.fill(0x20, 4, 36); // the type is right-padded with spaces, as the plugin writes it
  frame.set(utf8(m.type), 4);
  view.setUint32(36, 1);
  view.setBigUint64(40, BigInt(Date.now()));
  view.setBigInt64(48, BigInt(m.seq));
  view.setBigUint64(56, BigInt(m.flags));
  frame.set(uuidToWire(m.id || randomUuid()), 64);
  frame.set(await sha256(m.payload), 80);
  view.setUint32(112, m.payloadType);
  view.setUint32(116, m.payload.length);
  frame.set(m.payload, PAYLOAD_OFFSET);
  return frame;
}

/** @param {ArrayBuffer} buffer */
export function decodeMessage(buffer) {
  const frame = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const headerLength = view.getUint32(0);
  return {
    // Readers trim NULs and whitespace: other clients left-pad with NULs.
    type: decoder.decode(frame.slice(4, 36)).replace(/^[\0\s]+|[\0\s]+$/g, ""),
    created: Number(view.getBigUint64(40)),
    seq: Number(view.getBigInt64(48)),
    flags: Number(view.getBigUint64(56)),
    id: uuidFromWire(frame.slice(64, 80)),
    digest: frame.slice(80, 112),
    payloadType: view.getUint32(112),
    payloadLength: view.getUint32(116),
    payload: frame.slice(headerLength + 4),
    headerLength,
  };
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A shell session over a websocket, resumed over a new one when it drops.
 * Callbacks: onOutput(Uint8Array), onReady(), onClosed(output: string, clean: boolean) (clean: channel_closed
 * ended it, `output` its message; otherwise `output` says why it could not go on), resume() resolving to
 * ResumeSession's {TokenValue, StreamUrl} (null or no token: the session cannot be resumed),
 * onReconnecting(attempt: number, attempts: number), onReconnected().
 */
export class ShellChannel {
  constructor(streamUrl, token, {
    onOutput, onReady = () => {}, onClosed = () => {}, resume = async () => null,
    onReconnecting = () => {}, onReconnected = () => {},
  }) {
    this.callbacks = { onOutput, onReady, onClosed, resume, onReconnecting, onReconnected };
    this.streamUrl = streamUrl;
    this.clientId = randomUuid(); // one per client, kept across reconnects, as the plugin keeps it
    this.attempts = 0; // resume attempts since the channel last worked
    this.lastError = "";
    this.stableTimer = null;
    this.expectedSeq = 0;
    this.ahead = new Map(); // seq -> message received before its turn (acked already)
    this.nextSeq = 0;
    this.unacked = new Map(); // seq -> {frame, sentAt}
    this.ready = false;
    this.closed = false;
    this.pendingSize = null;
    // Frames are encoded (digests are async) and received one after another, in order.
    this.sending = Promise.resolve();
    this.receiving = Promise.resolve();
    this.ws = null;
    this.connect(streamUrl, token, false);
    this.timer = setInterval(() => this.resend(), RESEND_SCAN_MS);
  }

  /** Keystrokes (xterm's onData gives a string; onBinary bytes). */
  sendInput(data) {
    const bytes = typeof data === "string" ? utf8(data) : data;
    for (let i = 0; i < bytes.length; i += MAX_INPUT_PAYLOAD) {
      this.stream(PayloadType.Output, bytes.slice(i, i + MAX_INPUT_PAYLOAD));
    }
  }

  /** The terminal's size; sent once the shell is there, and again on every change. */
  resize(cols, rows) {
    if (!this.ready) {
      this.pendingSize = { cols, rows };
      return;
    }
    this.stream(PayloadType.Size, utf8(JSON.stringify({ cols, rows })));
  }

  close() {
    this.finish("", false);
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }

  // --- the websocket and resuming -----------------------------------------------------------------------------
  connect(url, token, resumed) {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    // Events of a socket that has been replaced are stale: only the current one speaks for the channel.
    ws.onopen = () => {
      if (ws !== this.ws) return;
      ws.send(JSON.stringify({
        MessageSchemaVersion: "1.0", RequestId: randomUuid(), TokenValue: token,
        ClientId: this.clientId, ClientVersion: CLIENT_VERSION,
      }));
      if (!resumed) return;
      this.resendAll();
      this.stableTimer = setTimeout(() => { this.attempts = 0; this.lastError = ""; }, RESUMED_STABLE_MS);
      this.callbacks.onReconnected();
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws || typeof event.data === "string") return; // the service never sends text
      this.receiving = this.receiving.then(() => this.receive(event.data)).catch((e) => console.error(e));
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      clearTimeout(this.stableTimer);
      if (event.reason) this.lastError = `${event.code} ${event.reason}`;
      this.lost();
    };
  }

  /** The websocket closed without channel_closed: resume after the next wait, or give up. */
  lost() {
    if (this.closed) return;
    if (this.attempts >= RESUME_DELAYS_MS.length) {
      const why = this.lastError ? ` (${this.lastError})` : "";
      this.finish(`the connection was lost and could not be resumed after ${this.attempts} tries${why}.`, false);
      return;
    }
    const delay = RESUME_DELAYS_MS[this.attempts++];
    this.callbacks.onReconnecting(this.attempts, RESUME_DELAYS_MS.length);
    setTimeout(() => this.resume(), delay);
  }

  async resume() {
    if (this.closed) return;
    let resumed;
    try {
      resumed = await this.callbacks.resume();
    } catch (e) {
      this.lastError = e.message || String(e);
      this.lost();
      return;
    }
    if (this.closed) return;
    if (!resumed || !resumed.TokenValue) {
      // No token: the session ended (or was terminated) while the websocket was down. The plugin says the
      // session "timed out" and exits.
      this.finish("the session ended while the connection was lost; it cannot be resumed.", false);
      return;
    }
    // The plugin reconnects to the first StreamUrl; ResumeSession's is the same one, so either serves.
    this.connect(resumed.StreamUrl || this.streamUrl, resumed.TokenValue, true);
  }

  /** On a resumed websocket, every unacked input goes again at once, oldest first; duplicates are re-acked. */
  resendAll() {
    for (const seq of [...this.unacked.keys()].sort((a, b) => a - b)) {
      const entry = this.unacked.get(seq);
      entry.sentAt = Date.now();
      this.ws.send(entry.frame);
    }
  }

  // --- internals ----------------------------------------------------------------------------------------------
  stream(payloadType, payload) {
    if (this.closed) return;
    const seq = this.nextSeq++;
    this.queue({ type: "input_stream_data", seq, flags: 0, payloadType, payload }, seq);
  }

  queue(message, seq = null) {
    this.sending = this.sending.then(async () => {
      const frame = await encodeMessage(message);
      if (seq !== null) this.unacked.set(seq, { frame, sentAt: Date.now() });
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
    }).catch((e) => console.error(e));
  }

  ack(message) {
    const body = {
      AcknowledgedMessageType: message.type, AcknowledgedMessageId: message.id,
      AcknowledgedMessageSequenceNumber: message.seq, IsSequentialMessage: true,
    };
    this.queue({ type: "acknowledge", seq: 0, flags: 3, payloadType: 0, payload: utf8(JSON.stringify(body)) });
  }

  /** The oldest unacked input is resent once older than the retransmission timeout. */
  resend() {
    if (!this.unacked.size || this.ws.readyState !== WebSocket.OPEN) return;
    const head = this.unacked.get(Math.min(...this.unacked.keys()));
    if (Date.now() - head.sentAt >= RTO_MS) {
      head.sentAt = Date.now();
      this.ws.send(head.frame);
    }
  }

  async receive(buffer) {
    const m = decodeMessage(buffer);
    if (m.type === "start_publication" || m.type === "pause_publication") return;
    if (!m.headerLength || !m.type || !m.created) return;
    // A payload whose digest does not match is dropped unacked, as the plugin drops it: the sender resends.
    if (m.payloadLength && !sameBytes(await sha256(m.payload), m.digest)) return;
    if (m.type === "acknowledge") {
      this.unacked.delete(JSON.parse(decoder.decode(m.payload)).AcknowledgedMessageSequenceNumber);
      return;
    }
    if (m.type === "channel_closed") {
      let output = "";
      try { output = JSON.parse(decoder.decode(m.payload)).Output || ""; } catch (_) { /* no text */ }
      this.finish(output, true);
      this.ws.close(1000);
      return;
    }
    if (m.type !== "output_stream_data") return;
    if (m.seq < this.expectedSeq) {
      this.ack(m); // a resend of what we took: its ack was lost, so ack again
      return;
    }
    if (m.seq > this.expectedSeq) {
      this.ahead.set(m.seq, m);
      this.ack(m);
      return;
    }
    this.ack(m);
    await this.process(m);
    this.expectedSeq++;
    while (this.ahead.has(this.expectedSeq)) {
      const next = this.ahead.get(this.expectedSeq);
      this.ahead.delete(this.expectedSeq);
      await this.process(next);
      this.expectedSeq++;
    }
  }

  async process(m) {
    if (m.payloadType === PayloadType.HandshakeRequest) {
      this.stream(PayloadType.HandshakeResponse, utf8(JSON.stringify(this.handshakeResponse(m))));
    } else if (m.payloadType === PayloadType.HandshakeComplete) {
      const complete = JSON.parse(decoder.decode(m.payload));
      if (complete.CustomerMessage) this.callbacks.onOutput(utf8(`${complete.CustomerMessage}\r\n`));
      this.becomeReady();
    } else {
      this.becomeReady(); // no handshake: the first output starts the shell (the plugin's fallback)
      this.callbacks.onOutput(m.payload);
    }
  }

  handshakeResponse(m) {
    const request = JSON.parse(decoder.decode(m.payload));
    const processed = [];
    const errors = [];
    for (const action of request.RequestedClientActions || []) {
      if (action.ActionType === "SessionType" && SHELL_TYPES.has(action.ActionParameters.SessionType)) {
        processed.push({ ActionType: action.ActionType, ActionStatus: 1, ActionResult: null, Error: "" });
      } else {
        // Port sessions and KMS encryption are not for a browser tab: refuse them, as an unsupported action.
        const error = `${action.ActionType} ${JSON.stringify(action.ActionParameters || {})} is not supported by the web console`;
        errors.push(error);
        processed.push({ ActionType: action.ActionType, ActionStatus: 3, ActionResult: null, Error: error });
      }
    }
    return { ClientVersion: CLIENT_VERSION, ProcessedClientActions: processed, Errors: errors.length ? errors : null };
  }

  becomeReady() {
    if (this.ready) return;
    this.ready = true;
    if (this.pendingSize) this.resize(this.pendingSize.cols, this.pendingSize.rows);
    this.callbacks.onReady();
  }

  finish(output, clean) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.stableTimer);
    this.callbacks.onClosed(output, clean);
  }
}
