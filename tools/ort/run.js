// Runs an ONNX model with onnxruntime-node on one float32 input and writes every output.
//   node run.js MODEL.onnx INPUT.bin N,C,H,W OUT_PREFIX
// INPUT.bin holds raw little-endian float32 values. For each output i this writes
// OUT_PREFIX.<i>.bin (raw values as float32) and OUT_PREFIX.json ({name, dims, type} per output).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, input, shapeText, prefix] = process.argv.slice(2);
  if (!prefix) {
    console.error('usage: node run.js MODEL.onnx INPUT.bin N,C,H,W OUT_PREFIX');
    process.exit(2);
  }
  const dims = shapeText.split(',').map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const session = await ort.InferenceSession.create(model, {graphOptimizationLevel: 'disabled'});
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', data, dims)};
  const results = await session.run(feeds);
  const meta = [];
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    const values = Float32Array.from(t.data, Number);
    fs.writeFileSync(`${prefix}.${i}.bin`, Buffer.from(values.buffer));
    meta.push({name, dims: t.dims, type: t.type});
  });
  fs.writeFileSync(`${prefix}.json`, JSON.stringify(meta));
}

main().catch((e) => {
  console.error(String(e && e.stack || e));
  process.exit(1);
});
