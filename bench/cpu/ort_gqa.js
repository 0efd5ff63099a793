// Times ONNX Runtime (CPU) com.microsoft GroupQueryAttention decode with a
// KV cache: node ort_gqa.js model.onnx B Hq Hkv Lkv D reps
// One new token per sequence (Lq = 1) against a past of Lkv - 1 keys; the
// node's present_key/value outputs hold past + the new key. Prints the
// best time in seconds.
const ort = require('onnxruntime-node');
(async () => {
  const [model, B, Hq, Hkv, L, D, reps] = process.argv.slice(2);
  const b = +B, hq = +Hq, hkv = +Hkv, l = +L, d = +D, r = +reps;
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, executionProviders: ['cpu'] });
  const rnd = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5; return a; };
  const past = l - 1;
  const feeds = {
    q: new ort.Tensor('float32', rnd(b * hq * d), [b, 1, hq * d]),
    k: new ort.Tensor('float32', rnd(b * hkv * d), [b, 1, hkv * d]),
    v: new ort.Tensor('float32', rnd(b * hkv * d), [b, 1, hkv * d]),
    past_key: new ort.Tensor('float32', rnd(b * hkv * past * d), [b, hkv, past, d]),
    past_value: new ort.Tensor('float32', rnd(b * hkv * past * d), [b, hkv, past, d]),
    seqlens_k: new ort.Tensor('int32', Int32Array.from({ length: b }, () => l - 1), [b]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.from([l]), [1]),
  };
  await sess.run(feeds);
  let best = 1e30;
  for (let i = 0; i < r; i++) { const t0 = process.hrtime.bigint(); await sess.run(feeds); const t = Number(process.hrtime.bigint() - t0) / 1e9; if (t < best) best = t; }
  console.log(best);
})().catch((e) => { console.log('ERROR ' + e.message.split('\n')[0]); process.exit(0); });
