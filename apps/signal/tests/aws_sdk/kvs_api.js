// The AWS SDK for JavaScript v3's KVS clients against wren-signal, with an endpoint
// override: argv endpoint, access key id, secret. Prints one JSON line with what it saw.
const kv = require('@aws-sdk/client-kinesis-video');
const sg = require('@aws-sdk/client-kinesis-video-signaling');
const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const region = 'us-west-2';
const credentials = {accessKeyId, secretAccessKey};
const client = new kv.KinesisVideoClient({region, endpoint, credentials, maxAttempts: 1});
async function main() {
  const out = {};
  const created = await client.send(new kv.CreateSignalingChannelCommand({ChannelName: 'aws-sdk'}));
  out.arn = created.ChannelARN;
  const described = await client.send(
    new kv.DescribeSignalingChannelCommand({ChannelARN: created.ChannelARN}));
  out.described = described.ChannelInfo.ChannelName;
  out.type = described.ChannelInfo.ChannelType;
  const listed = await client.send(new kv.ListSignalingChannelsCommand({}));
  out.listed = listed.ChannelInfoList.map((i) => i.ChannelName);
  const endpoints = await client.send(new kv.GetSignalingChannelEndpointCommand({
    ChannelARN: created.ChannelARN,
    SingleMasterChannelEndpointConfiguration: {Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER'},
  }));
  out.endpoints = endpoints.ResourceEndpointList;
  const https = endpoints.ResourceEndpointList.find((e) => e.Protocol === 'HTTPS').ResourceEndpoint;
  const signaling = new sg.KinesisVideoSignalingClient(
    {region, endpoint: https, credentials, maxAttempts: 1});
  const ice = await signaling.send(
    new sg.GetIceServerConfigCommand({ChannelARN: created.ChannelARN, ClientId: 'viewer-1'}));
  out.ice = ice.IceServerList;
  const wrong = new kv.KinesisVideoClient(
    {region, endpoint, credentials: {accessKeyId, secretAccessKey: 'not-the-secret'}, maxAttempts: 1});
  try {
    await wrong.send(new kv.ListSignalingChannelsCommand({}));
    out.wrongSecret = 'accepted';
  } catch (e) {
    out.wrongSecret = e.name;
    out.wrongSecretStatus = e.$metadata && e.$metadata.httpStatusCode;
  }
  await client.send(new kv.DeleteSignalingChannelCommand({ChannelARN: created.ChannelARN}));
  const after = await client.send(new kv.ListSignalingChannelsCommand({}));
  out.afterDelete = after.ChannelInfoList.length;
  console.log(JSON.stringify(out));
}
main().catch((e) => {
  console.log(JSON.stringify({error: String(e), name: e.name}));
  process.exit(1);
});
