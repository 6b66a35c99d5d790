#!/usr/bin/env node
// Computes TensorFlow.js reference outputs for ferlive's TF.js -> ONNX
// conversion parity tests.
//
//   node reference.js CASES.json MODELS_DIR > reference.json
//
// CASES.json (written by `go run ./internal/tfjs/tfjsref/gen`) lists, per
// case, the model (relative to MODELS_DIR), the float32 little-endian NHWC
// input file (the graph's own input, already normalised), its shape and the
// outputs to record: a graph node name, optionally averaged over the image
// axes ("pool": true), optionally only some rows of axis 1 ("rows": "top8+every8"
// keeps every 8th row and the 8 rows with the highest first value).
// Runs on the pure-JavaScript CPU backend: no native addon, no network.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfc = require('@tensorflow/tfjs-converter');

async function loadModel(jsonPath) {
  const mj = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const dir = path.dirname(jsonPath);
  const specs = [];
  const bufs = [];
  for (const g of mj.weightsManifest) {
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
    specs.push(...g.weights);
  }
  const all = Buffer.concat(bufs);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tfc.loadGraphModel({
    load: async () => ({
      modelTopology: mj.modelTopology, weightSpecs: specs, weightData, format: mj.format,
      generatedBy: mj.generatedBy, convertedBy: mj.convertedBy, signature: mj.signature,
      userDefinedMetadata: mj.userDefinedMetadata,
    }),
  });
}

function selectRows(data, shape, rule) {
  // rows of axis 1 of a [1, R, C] tensor
  const R = shape[1];
  const C = shape.length > 2 ? shape[2] : 1;
  const keep = new Set();
  for (let r = 0; r < R; r += 8) keep.add(r);
  const order = [...Array(R).keys()].sort((a, b) => data[b * C] - data[a * C]);
  for (const r of order.slice(0, 8)) keep.add(r);
  const rows = [...keep].sort((a, b) => a - b);
  const values = [];
  for (const r of rows) for (let c = 0; c < C; c++) values.push(data[r * C + c]);
  return { rows, values };
}

function round(v) { return Number(v.toPrecision(8)); }

async function main() {
  const [casesPath, modelsDir] = process.argv.slice(2);
  if (!casesPath || !modelsDir) {
    console.error('usage: node reference.js CASES.json MODELS_DIR > reference.json');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
  const models = {};
  const out = { generated_by: `@tensorflow/tfjs-core ${tf.version_core}, tfjs-backend-cpu, tfjs-converter (bench/tfjs)`, cases: [] };
  for (const c of cases) {
    if (!models[c.model]) models[c.model] = await loadModel(path.join(modelsDir, c.model));
    const buf = fs.readFileSync(path.join(path.dirname(casesPath), c.input));
    const sha = crypto.createHash('sha256').update(buf).digest('hex');
    if (sha !== c.sha256) throw new Error(`${c.name}: input ${c.input} has sha256 ${sha}, the case says ${c.sha256}`);
    const f32 = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const x = tf.tensor(f32, c.shape, 'float32');
    const names = c.outputs.map((o) => o.node);
    let res = models[c.model].execute(x, names);
    if (!Array.isArray(res)) res = [res];
    const rec = { name: c.name, sha256: sha, outputs: {} };
    for (let i = 0; i < c.outputs.length; i++) {
      const o = c.outputs[i];
      let t = res[i];
      if (o.pool) t = tf.mean(t, [1, 2]);
      const data = Array.from(t.dataSync());
      const entry = { shape: t.shape };
      if (o.rows) {
        const s = selectRows(data, t.shape, o.rows);
        entry.rows = s.rows;
        entry.values = s.values.map(round);
      } else {
        entry.values = data.map(round);
      }
      rec.outputs[o.key || o.node] = entry;
    }
    out.cases.push(rec);
    tf.dispose(res);
    x.dispose();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
