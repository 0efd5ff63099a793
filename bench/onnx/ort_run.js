// Runs an ONNX model in ONNX Runtime (CPU) on float32 inputs from raw files:
//   node ort_run.js model.onnx out.bin reps name=file:d0xd1x.. ...
// writes the first output as raw float32 to out.bin and prints the best
// time of `reps` runs in ms.
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  const [model, out, reps, ...specs] = process.argv.slice(2);
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1, executionProviders: ['cpu'] });
  const feeds = {};
  for (const s of specs) {
    const [name, rest] = s.split('=');
    const [file, dims] = rest.split(':');
    const buf = fs.readFileSync(file);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    feeds[name] = new ort.Tensor('float32', data, dims.split('x').map(Number));
  }
  let res = await sess.run(feeds);
  let best = 1e30;
  for (let i = 0; i < +reps; i++) {
    const t0 = process.hrtime.bigint();
    res = await sess.run(feeds);
    const t = Number(process.hrtime.bigint() - t0) / 1e6;
    if (t < best) best = t;
  }
  const o = res[sess.outputNames[0]].data;
  fs.writeFileSync(out, Buffer.from(o.buffer, o.byteOffset, o.byteLength));
  console.log(`ort ${best.toFixed(3)} ms`);
})();
