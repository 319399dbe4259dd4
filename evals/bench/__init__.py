"""Speed, memory and size (`lessons bench`), ingestion throughput and answer latency; figures in BENCH.md."""
