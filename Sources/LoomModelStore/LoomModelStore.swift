/// The model catalog (shared/MODELS.md wheels), downloads into $LOOM_HOME, and model path lookup.
