// What the pages of tests/play_record.rs share (the test puts it in each page): reports to
// the test, and a call made with SERVER's HTTP API: the WHIP way (RFC 9725 section 4.2),
// the browser offering, or the browser answering SERVER's offer.
const report = (o) => fetch('/result', {method: 'POST', body: JSON.stringify(o)});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// No trickle: the description sent carries every candidate.
async function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 10000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
    });
  });
}

// Offers to SERVER (POST /, 201 with the answer and a Location); the call's URL, for DELETE.
async function whip(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const r = await fetch(SERVER, {method: 'POST', headers: {'Content-Type': 'application/sdp'},
                                 body: pc.localDescription.sdp});
  if (r.status !== 201) throw new Error(`POST /: ${r.status} ${await r.text()}`);
  const call = new URL(r.headers.get('Location'), SERVER);
  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
  return call;
}

// Takes SERVER's offer (POST /offer, 201 with the offer and a Location), lets `prepare`
// set up the transceivers it made, and sends our answer to its Location (PATCH, 204); the
// call's URL, for DELETE.
async function answerOffer(pc, prepare = async () => {}) {
  const r = await fetch(SERVER + 'offer', {method: 'POST'});
  if (r.status !== 201) throw new Error(`POST /offer: ${r.status} ${await r.text()}`);
  const call = new URL(r.headers.get('Location'), SERVER);
  await pc.setRemoteDescription({type: 'offer', sdp: await r.text()});
  await prepare(pc);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  const a = await fetch(call, {method: 'PATCH', headers: {'Content-Type': 'application/sdp'},
                               body: pc.localDescription.sdp});
  if (a.status !== 204) throw new Error(`PATCH ${call.pathname}: ${a.status} ${await a.text()}`);
  return call;
}
