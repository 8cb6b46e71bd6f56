// The browser dialer: one RTCPeerConnection to POST /dialer/offer (no trickle ICE: the offer
// carries every candidate), the microphone on the first transceiver as Pipecat's
// SmallWebRTCTransport expects, and a data channel that brings the transcript back.
const token = new URLSearchParams(location.search).get("token");
const auth = token ? { Authorization: `Bearer ${token}` } : {};
const $ = (id) => document.getElementById(id);
const ui = { bot: $("bot"), call: $("call"), mic: $("mic"), status: $("status"),
             transcript: $("transcript"), audio: $("audio") };
let call = null; // { pc, channel, stream, id }

function status(text, error = false) {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", error);
  document.body.dataset.state = call ? (call.live ? "in-call" : "connecting") : "idle";
  if (call?.id) document.body.dataset.callId = call.id;
}

function say(role, text) {
  const line = document.createElement("li");
  line.className = role;
  line.textContent = text;
  ui.transcript.append(line);
  line.scrollIntoView({ block: "nearest" });
}

async function detail(response) {
  try {
    const { detail } = await response.json();
    return typeof detail === "string" ? detail : JSON.stringify(detail ?? response.statusText);
  }
  catch { return response.statusText; }
}

async function loadBots() {
  const response = await fetch("/dialer/bots", { headers: auth });
  if (!response.ok) return status(`cannot list bots: ${await detail(response)}`, true);
  for (const bot of await response.json()) ui.bot.add(new Option(`${bot.name} (${bot.id})`, bot.id));
  ui.call.disabled = ui.bot.options.length === 0;
  status(ui.call.disabled ? "no bots configured" : "ready");
}

function gathered(pc, timeoutMs = 3000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => pc.iceGatheringState === "complete" && resolve();
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs);
  });
}

function onMessage(event) {
  let message;
  try { message = JSON.parse(event.data); } catch { return; }
  if (message.type === "transcript") say(message.role, message.text);
  else if (message.type === "signalling" && message.message?.type === "peerLeft") finish("the bot ended the call");
}

async function dial() {
  ui.transcript.replaceChildren();
  ui.call.disabled = true;
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const pc = new RTCPeerConnection();
  call = { pc, stream, live: false, channel: pc.createDataChannel("voxcore") };
  status("connecting...");
  pc.addTransceiver(stream.getAudioTracks()[0], { direction: "sendrecv" });
  call.channel.addEventListener("message", onMessage);
  pc.addEventListener("track", (event) => { ui.audio.srcObject = event.streams[0] ?? new MediaStream([event.track]); });
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected" && call?.pc === pc) {
      call.live = true;
      ui.call.disabled = false;
      ui.mic.disabled = false;
      status(`in call with ${ui.bot.value} (call ${call.id})`);
    } else if (["failed", "closed"].includes(pc.connectionState)) finish("call ended");
  });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const response = await fetch("/dialer/offer", {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer", bot: ui.bot.value }),
  });
  if (!response.ok) return finish(`call refused: ${await detail(response)}`, true);
  const answer = await response.json();
  call.id = answer.call_id;
  await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
}

function finish(reason, error = false) {
  if (!call) return;
  const { pc, stream, channel } = call;
  call = null;
  if (channel.readyState === "open") channel.send(JSON.stringify({ type: "hangup" }));
  setTimeout(() => pc.close(), 200); // let the hang-up message leave first
  stream.getTracks().forEach((track) => track.stop());
  ui.call.disabled = false;
  ui.mic.disabled = true;
  ui.mic.textContent = "Mute";
  ui.mic.setAttribute("aria-pressed", "false");
  ui.call.textContent = "Call";
  ui.call.classList.remove("hangup");
  status(reason, error);
}

ui.call.addEventListener("click", () => {
  if (call) return finish("you hung up");
  ui.call.textContent = "Hang up";
  ui.call.classList.add("hangup");
  dial().catch((error) => finish(`call failed: ${error.message ?? error}`, true));
});

ui.mic.addEventListener("click", () => {
  const track = call?.stream.getAudioTracks()[0];
  if (!track) return;
  track.enabled = !track.enabled;
  ui.mic.textContent = track.enabled ? "Mute" : "Unmute";
  ui.mic.setAttribute("aria-pressed", String(!track.enabled));
  status(track.enabled ? "microphone on" : "microphone muted");
});

loadBots().catch((error) => status(`cannot list bots: ${error.message}`, true));
