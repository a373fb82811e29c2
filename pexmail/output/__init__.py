"""Writing the output folder: documents, print files, manifest, rejects, summary."""
