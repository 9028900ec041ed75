import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, type Probes } from '../../agent/enforce/select-backend.ts';

const probes = (root: boolean, nft: boolean, ipt: boolean): Probes => ({
  isRoot: () => root,
  nftWorks: async () => nft,
  iptablesWorks: async () => ipt,
});

describe('selectBackend', () => {
  it('auto: nftables when root with nft', async () => {
    const r = await selectBackend('auto', probes(true, true, true));
    assert.equal(r.backend.kind, 'NFTABLES');
    assert.match(r.reason, /nft/);
  });
  it('auto: iptables when root without nft', async () => {
    assert.equal((await selectBackend('auto', probes(true, false, true))).backend.kind, 'IPTABLES');
  });
  it('auto: dry-run when not root, saying why', async () => {
    const r = await selectBackend('auto', probes(false, true, true));
    assert.equal(r.backend.kind, 'DRY_RUN');
    assert.match(r.reason, /not root/);
  });
  it('auto: dry-run when no tool works, naming what to install', async () => {
    const r = await selectBackend('auto', probes(true, false, false));
    assert.equal(r.backend.kind, 'DRY_RUN');
    assert.match(r.reason, /apt-get install -y nftables/);
  });
  it('a configured backend is forced', async () => {
    assert.equal((await selectBackend('iptables', probes(true, true, true))).backend.kind, 'IPTABLES');
    assert.equal((await selectBackend('dry-run', probes(true, true, true))).backend.kind, 'DRY_RUN');
  });
  it('a forced backend that cannot work is an error, not a silent dry-run', async () => {
    await assert.rejects(selectBackend('nftables', probes(true, false, true)), /apt-get install -y nftables/);
    await assert.rejects(selectBackend('iptables', probes(false, true, true)), /not root/);
    await assert.rejects(selectBackend('pf' as never, probes(true, true, true)), /unknown/);
  });
});
