// Peer benchmark: @vladmandic/human (BlazeFace + its emotion model) on the
// TensorFlow.js wasm backend with one thread, over the same clip ferlive
// annotates. Frames are decoded by ffmpeg into memory before timing, so the
// figure is detection + emotion only (decoding is not counted, which
// favours the peer). No network: models come from the npm package's own
// models/ folder through a fetch that reads local files.
//
//   node peer.js CLIP [--frames N] [--warmup N] [--json] [--compare FERLIVE.jsonl]
//
// --compare reads ferlive's JSON Lines of the same clip and reports the
// face-frame recall relative to the peer: of the faces the peer found
// (frame by frame), the share ferlive also found. A peer face counts as
// found when an unmatched ferlive box of that frame contains its centre
// (ferlive extends BlazeFace's boxes to the forehead-to-chin span, so IoU
// with the peer's tighter boxes is not the right test).
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
const clip = args.find((a, i) => !a.startsWith('--') && (i === 0 || !['--frames', '--warmup', '--compare'].includes(args[i - 1])));
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
if (!clip) { console.error('usage: node peer.js CLIP [--frames N] [--warmup N] [--json]'); process.exit(2); }
const maxFrames = opt('--frames', 0);
const warmup = opt('--warmup', 5);
const asJSON = args.includes('--json');
const compareIdx = args.indexOf('--compare');
const compareFile = compareIdx >= 0 ? args[compareIdx + 1] : '';

const humanDir = path.join(__dirname, 'node_modules', '@vladmandic', 'human');
const wasmDir = path.join(__dirname, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/';

// No network at run time: every URL the library asks for is a local file.
globalThis.fetch = async (url) => {
  const u = String(url);
  const file = u.startsWith('file://') ? u.slice(7) : path.join(humanDir, 'models', path.basename(new URL(u).pathname));
  const buf = fs.readFileSync(file);
  return new Response(buf, { status: 200, headers: { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
};

const H = require(path.join(humanDir, 'dist', 'human.node-wasm.js'));
const Human = H.Human || H.default;

function probe(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]).toString().trim();
  const [w, h] = out.split(',').map(Number);
  return { w, h };
}

async function main() {
  const { w, h } = probe(clip);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', clip, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 2 ** 32 });
  const size = w * h * 3;
  let n = Math.floor(raw.length / size);
  if (maxFrames > 0) n = Math.min(n, maxFrames);

  const human = new Human({
    backend: 'wasm',
    wasmPath: wasmDir,
    modelBasePath: 'http://models.local/',
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0, // no frame-to-frame result caching: every frame is analysed
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { enabled: true, modelPath: 'blazeface.json', rotation: false, maxDetected: 20, return: false },
      mesh: { enabled: false }, iris: { enabled: false }, attention: { enabled: false },
      emotion: { enabled: true, modelPath: 'emotion.json' },
      description: { enabled: false }, antispoof: { enabled: false }, liveness: { enabled: false }, gear: { enabled: false },
    },
    body: { enabled: false }, hand: { enabled: false }, object: { enabled: false },
    gesture: { enabled: false }, segmentation: { enabled: false },
  });
  await human.load();
  await human.tf.ready();
  const tf = human.tf;
  // TensorFlow.js wasm in node runs single-threaded unless its threaded
  // build is loaded (SharedArrayBuffer + workers); report what it uses.
  const multi = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = multi ? 'multi' : 1;

  const frame = (i) => tf.tensor4d(new Int32Array(raw.subarray(i * size, (i + 1) * size)), [1, h, w, 3], 'int32');
  for (let i = 0; i < Math.min(warmup, n); i++) { const t = frame(i); await human.detect(t); tf.dispose(t); }

  let withFaces = 0; let faces = 0; let withEmotion = 0;
  const boxes = []; // per frame: the peer's face boxes [x, y, w, h] in pixels
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t = frame(i);
    const res = await human.detect(t);
    tf.dispose(t);
    if (res.face.length > 0) withFaces++;
    faces += res.face.length;
    boxes.push(res.face.map((f) => f.box));
    withEmotion += res.face.filter((f) => f.emotion && f.emotion.length > 0).length;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = { tool: `@vladmandic/human ${human.version}`, backend: tf.getBackend(), simd, threads, frames: n, frames_with_faces: withFaces, faces, faces_with_emotion: withEmotion, fps: n / secs };
  if (compareFile) Object.assign(r, compare(boxes, compareFile));
  if (asJSON) console.log(JSON.stringify(r));
  else console.log(`${r.tool} (${r.backend}${simd ? ' simd' : ''}, ${r.threads} thread): ${n} frames, ${withFaces} with faces, ${faces} faces (${withEmotion} with an emotion), ${r.fps.toFixed(1)} fps`);
}

// compare matches the peer's faces with ferlive's, frame by frame (see
// --compare above).
function compare(peerBoxes, file) {
  const ours = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const f = JSON.parse(line);
    ours.set(f.frame, (f.faces || []).map((x) => x.box));
  }
  let found = 0; let total = 0; let extra = 0;
  peerBoxes.forEach((pb, i) => {
    const ob = (ours.get(i) || []).slice();
    total += pb.length;
    for (const [x, y, w, h] of pb) {
      const cx = x + w / 2; const cy = y + h / 2;
      const j = ob.findIndex(([ox, oy, ow, oh]) => cx >= ox && cx <= ox + ow && cy >= oy && cy <= oy + oh);
      if (j >= 0) { found++; ob.splice(j, 1); }
    }
    extra += ob.length;
  });
  return { compare_peer_faces: total, compare_found: found, compare_recall: total ? found / total : 1, compare_ferlive_only: extra };
}

main().catch((e) => { console.error('peer:', e && e.stack ? e.stack : e); process.exit(1); });
