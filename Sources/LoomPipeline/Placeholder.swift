// The pipeline module (issue #7) is being built; this file keeps the target non-empty.
import Yams
