// The search index module (issue #6) is being built; this file keeps the target non-empty.
import GRDB
