import t from 'tap';
import { notReadyMessage } from '../../src/front/app.js';

t.test('/readyz names the shards that are not ready by id', async (t) => {
  t.equal(notReadyMessage([0], 2), 'shard 0 (of 2) is not ready yet: recovering its state or restarting; retry shortly');
  t.equal(notReadyMessage([1, 3], 4), 'shards 1, 3 (of 4) are not ready yet: recovering their state or restarting; retry shortly');
});
