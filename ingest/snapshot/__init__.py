"""The search snapshot: what search reads besides Chroma, built when ingestion ends and loaded by the assistant.

One folder per store fingerprint (`data_dir/snapshot/<fingerprint>/`): the BM25 index with its passages and e5
sparse vectors (`keyword`), their filter columns (`columns`), each embedder's dense matrix (`dense`) and the
document names a question may use (`names`). `build` owns the folder: made in a temporary folder, its
fingerprint file written last, put in place in one rename, older fingerprints removed.
"""
