/// Model inputs made from decoded media: log-mel spectrograms and per-family image preprocessing.
