package notice

import "context"

// BatchSaver is a Store that can record many messages in one write (one
// transaction, one sync), which the dispatcher uses to group the outcomes
// of its workers' attempts. SaveAll need not check that the messages exist.
type BatchSaver interface {
	SaveAll(ctx context.Context, ms []Message) error
}

type saveRequest struct {
	ctx  context.Context
	m    Message
	done chan error
}

// record saves the outcome of an attempt: through the recorder when the
// store saves in batches, else directly.
func (d *Dispatcher) record(ctx context.Context, m Message) error {
	if d.saves == nil {
		return d.store.Save(ctx, m)
	}
	req := saveRequest{ctx: ctx, m: m, done: make(chan error, 1)}
	d.saves <- req
	return <-req.done
}

// recorder writes the outcomes that arrive together in one batch: with a
// store whose every write is a synced transaction, the workers would
// otherwise queue behind each other's syncs.
func (d *Dispatcher) recorder(bs BatchSaver) {
	for req := range d.saves {
		batch := []saveRequest{req}
	more:
		for len(batch) < 512 {
			select {
			case r, ok := <-d.saves:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		ms := make([]Message, len(batch))
		for i, r := range batch {
			ms[i] = r.m
		}
		err := bs.SaveAll(batch[0].ctx, ms)
		for _, r := range batch {
			r.done <- err
		}
	}
}
