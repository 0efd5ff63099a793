// Runs an ONNX model in ONNX Runtime (CPU), for attn.ort:
//   node ort_run.js model.onnx outdir reps threads name=file:dtype:d0xd1x.. ...
// Inputs are raw little-endian files (dtype float32, float16, int32, int64;
// an empty shape is a scalar). Every output is written raw to
// outdir/<name>.bin; stdout is one JSON line {best_ms, outputs: {name:
// {dims, type}}}, best_ms the best time of `reps` runs after a warm-up run.
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
const TYPES = {float32: Float32Array, float16: Uint16Array, int32: Int32Array,
               int64: BigInt64Array};
(async () => {
  const [model, outdir, reps, threads, ...specs] = process.argv.slice(2);
  const sess = await ort.InferenceSession.create(model, {
    intraOpNumThreads: +threads, interOpNumThreads: 1,
    executionProviders: ['cpu']});
  const feeds = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    const [file, dtype, dims] = s.slice(eq + 1).split(':');
    const buf = fs.readFileSync(file);
    const data = new TYPES[dtype](
        buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    feeds[s.slice(0, eq)] = new ort.Tensor(
        dtype, data, dims === '' ? [] : dims.split('x').map(Number));
  }
  let res = await sess.run(feeds);
  let best = 1e30;
  for (let i = 0; i < +reps; i++) {
    const t0 = process.hrtime.bigint();
    res = await sess.run(feeds);
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (t < best) best = t;
  }
  const outputs = {};
  for (const n of sess.outputNames) {
    const d = res[n].data;
    fs.writeFileSync(path.join(outdir, n + '.bin'),
                     Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    outputs[n] = {dims: res[n].dims, type: res[n].type};
  }
  console.log(JSON.stringify({best_ms: +reps > 0 ? best : null, outputs}));
})().catch(e => { console.error(String(e)); process.exit(1); });
