// <voxcore-call bot="support-desk" server="https://voxcore.example.com">: a call button for
// any web page. It asks VoxCore for a LiveKit room (POST {server}/livekit/widget, answered with
// {url, token, room}), joins it with livekit-client, publishes the microphone, plays the bot and
// shows the latest transcript line. States: idle -> connecting -> in-call -> idle (with an error
// line when something failed). See docs/widget.md.
import { Room, RoomEvent, Track } from "livekit-client";

const STYLE = `
  :host { display: inline-block; font: 15px/1.4 system-ui, sans-serif; color: #1d2330; }
  .box { display: flex; flex-direction: column; gap: .4rem; padding: .75rem; min-width: 16rem;
         border: 1px solid #d5d9e0; border-radius: 12px; background: #fff; }
  .row { display: flex; gap: .4rem; align-items: center; }
  button { font: inherit; padding: .4rem .9rem; border-radius: 999px; border: 1px solid #1f8a4c;
           background: #1f8a4c; color: #fff; cursor: pointer; }
  button.hangup { background: #c0392b; border-color: #c0392b; }
  button.mic { background: #fff; color: #1d2330; border-color: #c5cad3; }
  button[hidden] { display: none; }
  button:disabled { opacity: .6; cursor: default; }
  .status { font-size: .8rem; color: #5b6475; }
  .status.error { color: #c0392b; }
  .caption { min-height: 1.4em; font-style: italic; }`;

const LABELS = { idle: "Call", connecting: "Connecting…", "in-call": "Hang up" };

export class VoxcoreCall extends HTMLElement {
  static observedAttributes = ["bot", "server"];

  constructor() {
    super();
    /** Makes the LiveKit room; replaceable (tests, a page with its own Room options). */
    this.createRoom = () => new Room({ adaptiveStream: true, dynacast: true });
    this.room = null;
    this._state = "idle";
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = `<style>${STYLE}</style>
      <div class="box" part="box">
        <div class="row">
          <button class="call" part="call" type="button">Call</button>
          <button class="mic" part="mic" type="button" hidden aria-pressed="false">Mic on</button>
        </div>
        <div class="caption" part="caption" aria-live="polite"></div>
        <div class="status" part="status" role="status"></div>
        <div class="audio" hidden></div>
      </div>`;
    this.ui = Object.fromEntries(
      ["call", "mic", "caption", "status", "audio"].map((name) => [name, root.querySelector(`.${name}`)]),
    );
    this.ui.call.addEventListener("click", () => (this._state === "idle" ? this.call() : this.hangUp()));
    this.ui.mic.addEventListener("click", () => this.toggleMic());
  }

  get state() {
    return this._state;
  }

  connectedCallback() {
    this._render();
  }

  disconnectedCallback() {
    this.hangUp();
  }

  attributeChangedCallback() {
    this._render();
  }

  /** Ask VoxCore for a room, join it and publish the microphone. */
  async call() {
    if (this._state !== "idle") return;
    this.ui.caption.textContent = "";
    this._set("connecting", "");
    const room = this.createRoom();
    this.room = room;
    try {
      const grant = await this._requestRoom();
      if (this.room !== room) return; // hung up while asking
      this._listen(room);
      await room.connect(grant.url, grant.token);
      await room.localParticipant.setMicrophoneEnabled(true);
      if (this.room !== room) return; // hung up while connecting
      this._set("in-call", `in call (${grant.room})`);
    } catch (error) {
      if (this.room !== room) return; // hung up meanwhile: nothing to report
      this._teardown();
      room.disconnect();
      this._set("idle", error?.message ?? String(error), true);
    }
  }

  async hangUp() {
    const room = this.room;
    this._teardown();
    if (this._state !== "idle") this._set("idle", "call ended");
    if (room) await room.disconnect();
  }

  async toggleMic() {
    const participant = this.room?.localParticipant;
    if (!participant || this._state !== "in-call") return;
    await participant.setMicrophoneEnabled(!participant.isMicrophoneEnabled);
    this._render();
  }

  async _requestRoom() {
    const bot = this.getAttribute("bot");
    if (!bot) throw new Error('no bot: set the "bot" attribute');
    const server = (this.getAttribute("server") ?? "").replace(/\/$/, "");
    const response = await fetch(`${server}/livekit/widget`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ bot }),
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const detail = typeof body?.detail === "string" ? body.detail : response.statusText;
      throw new Error(`call refused: ${detail || response.status}`);
    }
    if (!body?.url || !body?.token) throw new Error("call refused: the server sent no room");
    return body;
  }

  _listen(room) {
    room
      .on(RoomEvent.Disconnected, () => {
        // While connecting, a failed connect() reports the error itself.
        if (this.room === room && this._state === "in-call") {
          this._teardown();
          this._set("idle", "call ended");
        }
      })
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) this.ui.audio.append(track.attach());
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()))
      .on(RoomEvent.LocalTrackPublished, () => this._render())
      .on(RoomEvent.TrackMuted, () => this._render())
      .on(RoomEvent.TrackUnmuted, () => this._render())
      .on(RoomEvent.TranscriptionReceived, (segments, participant) => {
        const text = segments.map((segment) => segment.text).join(" ").trim();
        const local = participant && participant === room.localParticipant;
        if (text) this.caption(local ? "caller" : "bot", text);
      })
      .on(RoomEvent.DataReceived, (payload) => {
        try {
          const message = JSON.parse(new TextDecoder().decode(payload));
          if (message.type === "transcript") this.caption(message.role, message.text);
        } catch {
          // not ours
        }
      });
  }

  /** Show one transcript line: the bot's words, or what the caller was heard to say. */
  caption(role, text) {
    this.ui.caption.textContent = role === "caller" ? `You: ${text}` : text;
    this.dispatchEvent(new CustomEvent("voxcore-caption", { detail: { role, text } }));
  }

  _teardown() {
    this.room?.removeAllListeners();
    this.room = null;
    this.ui.audio.replaceChildren();
  }

  _set(state, status, error = false) {
    this._state = state;
    this.ui.status.textContent = status;
    this.ui.status.classList.toggle("error", error);
    this._render();
    this.dispatchEvent(new CustomEvent("voxcore-state", { detail: { state, status, error } }));
  }

  _render() {
    const { call, mic } = this.ui;
    this.dataset.state = this._state;
    call.textContent = LABELS[this._state];
    call.disabled = this._state === "connecting" || !this.getAttribute("bot");
    call.classList.toggle("hangup", this._state === "in-call");
    mic.hidden = this._state !== "in-call";
    const on = Boolean(this.room?.localParticipant?.isMicrophoneEnabled);
    mic.textContent = on ? "Mic on" : "Mic off";
    mic.setAttribute("aria-pressed", String(!on));
  }
}

if (!customElements.get("voxcore-call")) customElements.define("voxcore-call", VoxcoreCall);
