"""The torch side of `npm run bench:onnx-bart` (run with Debian's /usr/bin/python3; torch 1.13, onnx).

  export: builds a random-weight BART of bart-large-cnn's shape (12+12 layers, d_model 1024, 16
          heads, FFN 4096, vocabulary 50,264, 1,024 positions) from a fixed seed and writes it in
          Optimum's layout (config.json, tokenizer files, encoder_model.onnx, decoder_model.onnx).
  score:  builds the same weights again from the seed (no export in this process, so its peak
          memory is the scorer's) and times BARTScorer.score (batch 4, max_length 1024) on the
          pairs of a JSON file; writes the scores, seconds and peak RSS.

The tokenizer is the fixtures' small byte-level BPE (bart-large-cnn's vocabulary cannot be
downloaded here): token ids stay below 500, but every shape the model computes with (the 50,264
logits per position included) is the real one.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from seq2seq_models import ByteLevelBPE, TinyBart, bart_config, bart_score, build_vocab, export_bart, randomize, train_merges, write_json, write_tokenizer  # noqa: E402
from make_seq2seq_fixtures import CORPUS  # noqa: E402

SEED = 11


def model_and_tokenizer():
    merges = train_merges(CORPUS, 160)
    vocab = build_vocab(merges)
    cfg = bart_config(50264, 1024, 12, 16, 4096, 1024, "imhi-bench/bart-large-cnn-shape-random")
    torch.manual_seed(SEED)
    bart = TinyBart(cfg)
    # bart-large's init scale (std 0.02); layer norms as randomize() sets them
    randomize(bart, SEED, 0.02)
    bart.eval()
    return bart, ByteLevelBPE(vocab, merges), vocab, merges, cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["export", "score"])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--pairs")
    ap.add_argument("--results")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    bart, tok, vocab, merges, cfg = model_and_tokenizer()
    if args.mode == "export":
        os.makedirs(args.dir, exist_ok=True)
        write_json(os.path.join(args.dir, "config.json"), cfg)
        write_tokenizer(args.dir, vocab, merges, "BartTokenizer", 1024, cfg["vocab_size"])
        t = time.time()
        export_bart(bart, args.dir)
        print("exported in %.1f s" % (time.time() - t), file=sys.stderr)
        return
    pairs = json.load(open(args.pairs))
    torch.set_grad_enabled(False)
    # warm-up on one pair, as the workbench's figure excludes loading too
    bart_score(bart, tok, pairs["generated"][:1], pairs["golden"][:1], batch_size=4)
    t = time.time()
    c = time.process_time()
    scores = bart_score(bart, tok, pairs["generated"], pairs["golden"], batch_size=4)
    seconds = time.time() - t
    cpu = time.process_time() - c
    write_json(args.results, {"scores": scores, "seconds": seconds, "cpu_seconds": cpu, "threads": torch.get_num_threads(),
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
