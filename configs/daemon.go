package configs

import "go.yaml.in/yaml/v3"

// DefaultFirstSyncConcurrency is how many brands' first syncs run at once
// unless daemon.first_sync_concurrency says otherwise: a first sync (the
// full backfill: Shopify's bulk export, the insights since the earliest
// test) holds ~35 MB per brand of the bench's size, so 4 keep a daemon
// taking on 20 brands well under 300 MB, while 4 brands' lanes still keep
// the platforms' quotas busy.
const DefaultFirstSyncConcurrency = 4

// Daemon holds the settings of the whole daemon rather than of one brand.
// They sit in a YAML document of their own, without brand: (e.g. a file
// daemon.yaml holding `daemon: {first_sync_concurrency: 4}`).
type Daemon struct {
	// FirstSyncConcurrency bounds how many brands are in their first sync
	// at once (a sync job whose cursor is still empty); steady syncs are
	// not limited. At least 1; default DefaultFirstSyncConcurrency.
	FirstSyncConcurrency int
}

// daemonDocFields is the schema of a daemon settings document: daemon:
// alone (a brand's keys go in documents of their own).
var daemonDocFields = &fieldSet[*Daemon]{what: "a daemon settings document (daemon: goes in a document of its own, without brand:)", fields: []field[*Daemon]{
	{key: "daemon", decode: func(l *loader, d *Daemon, _, v *yaml.Node) { decodeInto(l, v, daemonFields, d) }},
}}

// daemonFields is the schema of daemon:; each setting may be set once
// across all files.
var daemonFields = &fieldSet[*Daemon]{what: "daemon", fields: []field[*Daemon]{
	{key: "first_sync_concurrency", decode: daemonOnce(func(l *loader, d *Daemon, k, v *yaml.Node) {
		n, ok := l.integer(k.Value, v)
		if ok && n < 1 {
			l.errorf(v, "%s: want at least 1 (brands whose first sync may run at once), got %d", k.Value, n)
			return
		}
		d.FirstSyncConcurrency = n
	})},
}}

// daemonOnce wraps the decoding of a daemon setting: a second file setting
// it too is a problem.
func daemonOnce(decode func(l *loader, d *Daemon, k, v *yaml.Node)) func(*loader, *Daemon, *yaml.Node, *yaml.Node) {
	return func(l *loader, d *Daemon, k, v *yaml.Node) {
		if first := l.where(d, k.Value); !first.IsZero() {
			l.errorf(k, "daemon %s is already set at %s", k.Value, first)
			return
		}
		l.mark(d, k.Value, k)
		decode(l, d, k, v)
	}
}

// isDaemonDoc reports whether the document root holds daemon settings.
func isDaemonDoc(root *yaml.Node) bool {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "daemon" {
			return true
		}
	}
	return false
}

// daemonDoc decodes a daemon settings document.
func (l *loader) daemonDoc(root *yaml.Node) { decodeInto(l, root, daemonDocFields, &l.daemon) }

// finishDaemon fills the daemon settings' defaults.
func (l *loader) finishDaemon() Daemon {
	d := l.daemon
	if d.FirstSyncConcurrency <= 0 {
		d.FirstSyncConcurrency = DefaultFirstSyncConcurrency
	}
	return d
}
