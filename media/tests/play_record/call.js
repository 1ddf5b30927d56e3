// What the pages of tests/play_record.rs share (the test puts it in each page): reports to
// the test, and a call made the WHIP way (RFC 9725 section 4.2) to SERVER.
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
