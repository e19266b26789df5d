// Server-Sent Events read from a fetch Response (EventSource can neither POST nor send headers).

/** Yield {id, event, data} for each event of ``response.body``; comments and heartbeats are skipped. */
export async function* readEvents(response, signal) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let frame = { id: "", event: "message", data: [] };
  try {
    for (;;) {
      if (signal && signal.aborted) return;
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1));
        if (line === "") {
          if (frame.data.length) yield { id: frame.id, event: frame.event, data: frame.data.join("\n") };
          frame = { id: "", event: "message", data: [] };
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const key = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (key === "id") frame.id = value;
          else if (key === "event") frame.event = value;
          else if (key === "data") frame.data.push(value);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
