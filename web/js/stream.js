// A workflow's progress stream: the WebSocket with replay (after connecting, and again after
// every reconnect, from the last sequence seen), de-duplicated and ordered by sequence; after
// repeated failures it falls back to polling GET /api/workflows/{id}/events.
import { api } from "./api.js";
import { socketQuery } from "./auth.js";

const FINAL = new Set(["workflow_complete", "error"]);
const MAX_SOCKET_FAILURES = 3;
const POLL_MS = 1000;

export function followWorkflow(workflowId, socketBase, { onEvent, onMode }) {
  let last = 0;
  let stopped = false;
  let finished = false;
  let failures = 0;
  let socket = null;
  let timer = null;

  const deliver = (events) => {
    for (const event of [...events].sort((a, b) => a.sequence - b.sequence)) {
      if (event.sequence <= last) continue; // replay overlap or a duplicate
      last = event.sequence;
      if (FINAL.has(event.type)) finished = true;
      onEvent(event);
    }
  };

  const poll = async () => {
    if (stopped) return;
    try {
      const { data } = await api(`/api/workflows/${workflowId}/events?since=${last}&limit=1000`);
      deliver(data.events);
      if (data.has_more) return poll();
    } catch {
      /* a failed poll is retried on the next tick */
    }
    if (!stopped && !finished) timer = setTimeout(poll, POLL_MS);
  };

  const connect = () => {
    if (stopped || finished) return;
    if (!socketBase) {
      onMode("polling");
      poll();
      return;
    }
    const url = `${socketBase}${socketBase.includes("?") ? "&" : "?"}workflow_id=${encodeURIComponent(workflowId)}`;
    const query = socketQuery();
    onMode("connecting");
    try {
      socket = new WebSocket(query ? `${url}&${query}` : url);
    } catch {
      failures = MAX_SOCKET_FAILURES;
      onMode("polling");
      poll();
      return;
    }
    let opened = false;
    socket.onopen = () => {
      opened = true;
      failures = 0;
      onMode("live");
      socket.send(JSON.stringify({ action: "replay", since: last }));
    };
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof data.sequence === "number" && data.type) deliver([data]);
      if (data.type === "replay_complete" && data.has_more) {
        socket.send(JSON.stringify({ action: "replay", since: last }));
      }
    };
    socket.onclose = () => {
      socket = null;
      if (stopped || finished) return;
      failures += opened ? 1 : 2;
      if (failures >= MAX_SOCKET_FAILURES) {
        onMode("polling");
        poll();
      } else {
        onMode("reconnecting");
        timer = setTimeout(connect, 500 * 2 ** failures);
      }
    };
    socket.onerror = () => {}; // onclose follows and decides
  };

  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (socket) socket.close();
    },
    /** Drop the socket as a network failure would (tests and the "reconnect" button). */
    drop() {
      if (socket) socket.close();
    },
  };
}
