// Scanning a QR doorplate (一户一码, printed by /doorplates): the camera when the phone
// lends it to the page, else a photo of the code. A code "wangge:h:<household id>" opens
// that household. The decoder (web/static/vendor/jsQR.min.js, precached) is loaded on
// first use: it is a classic script that sets window.jsQR.

import { t } from "../i18n.js";
import { $, setText, show, tpl } from "../ui.js";

const DECODER = "/static/vendor/jsQR.min.js";
const PREFIX = "wangge:h:";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// a photo from a 12-megapixel camera is scaled down first: decoding stays quick on cheap
// phones and a doorplate's code is large in the picture anyway
const MAX_SIDE = 1280;
const FRAME_MS = 250;
let loading = null;

export function loadDecoder() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = DECODER;
      script.onload = () => (window.jsQR ? resolve(window.jsQR) : reject(new Error("no jsQR")));
      script.onerror = () => {
        loading = null;
        script.remove();
        reject(new Error("the decoder did not load"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

// "wangge:h:<uuid>" -> the household id; null for any other text.
export function householdIdOf(text) {
  const s = String(text || "").trim();
  if (!s.startsWith(PREFIX)) return null;
  const id = s.slice(PREFIX.length).toLowerCase();
  return UUID.test(id) ? id : null;
}

// The text of the QR code in an image, video frame or canvas source, or null.
export function decodeSource(jsQR, source, width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  const found = jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "attemptBoth" });
  return found ? found.data : null;
}

async function imageOf(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file);
    } catch {
      // an old WebView: fall back to an <img>
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function decodeFile(file) {
  const jsQR = await loadDecoder();
  const img = await imageOf(file);
  const width = img.naturalWidth || img.width;
  const height = img.naturalHeight || img.height;
  return decodeSource(jsQR, img, width, height);
}

export function scan(app) {
  const node = tpl("t-scan");
  const video = $(node, "#scan-video");
  const view = $(node, ".scan-view");
  const status = $(node, "#scan-state");
  const cameraButton = $(node, "#scan-camera");
  const file = $(node, "#scan-file");
  let stream = null;
  let timer = null;
  let finished = false;

  const say = (key, kind = "info") => {
    setText(status, t(key));
    status.dataset.state = kind;
  };
  const stop = () => {
    clearTimeout(timer);
    timer = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    show(view, false);
    show(cameraButton, true);
  };
  // A decoded text: open its household, or say why not (and keep looking).
  const found = (text) => {
    const id = householdIdOf(text);
    if (!id) {
      say("scan_unknown", "error");
      return false;
    }
    if (!app.model.get("households", id)) {
      say("scan_not_here", "error");
      return false;
    }
    finished = true;
    stop();
    location.hash = `#/h/${encodeURIComponent(id)}`;
    return true;
  };
  const frame = (jsQR) => {
    if (!stream || finished) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const text = decodeSource(jsQR, video, video.videoWidth, video.videoHeight);
      if (text && found(text)) return;
    }
    timer = setTimeout(() => frame(jsQR), FRAME_MS);
  };
  const start = async () => {
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      say("scan_no_camera", "error");
      return;
    }
    say("scan_starting");
    try {
      const jsQR = await loadDecoder();
      const media = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" }, audio: false,
      });
      if (finished || !video.isConnected) {
        for (const track of media.getTracks()) track.stop();
        return;
      }
      stream = media;
      video.srcObject = stream;
      show(view, true);
      show(cameraButton, false);
      await video.play();
      say("scan_looking");
      frame(jsQR);
    } catch (err) {
      stop();
      say(err && err.name === "NotAllowedError" ? "scan_denied" : "scan_no_camera", "error");
    }
  };

  cameraButton.addEventListener("click", start);
  file.addEventListener("change", async () => {
    const picked = file.files && file.files[0];
    if (!picked) return;
    stop();
    say("scan_reading");
    try {
      const text = await decodeFile(picked);
      if (text == null) say("scan_no_code", "error");
      else found(text);
    } catch {
      say("scan_failed", "error");
    } finally {
      file.value = "";
    }
  });
  show(view, false);
  // The camera starts by itself where the page may ask for it (https, or this machine).
  if (window.isSecureContext && navigator.mediaDevices) queueMicrotask(start);
  else say("scan_photo_hint");
  return { node, leave: () => { finished = true; stop(); } };
}
