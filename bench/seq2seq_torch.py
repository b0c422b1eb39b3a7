"""The torch side of `npm run bench:seq2seq` (run with Debian's /usr/bin/python3; torch 1.13, onnx).

  export:   builds a random-weight BART of MentalBART's shape (bart-large: 12+12 layers, d_model
            1024, 16 heads, FFN 4096, vocabulary 50,265, 1,024 positions) from a fixed seed and
            writes it in Optimum's text2text-generation-with-past layout (config.json,
            generation_config.json, tokenizer files, encoder_model.onnx, decoder_model.onnx with
            present.* outputs, decoder_with_past_model.onnx).
  generate: builds the same weights again from the seed (no export in this process) and times
            transformers' greedy generate (scripts/fixtures/seq2seq_generation.py: the encoder
            once, the decoder with its key/value cache, the generation config's logits
            processors) on the queries of a JSON file in batches, as IMHI.py batches them;
            writes the generated ids, seconds and peak RSS.

The tokenizer is the fixtures' small byte-level BPE (bart-large's vocabulary cannot be downloaded
here): token ids stay below 500, but every shape the model computes with (the 50,265 logits per
step included) is the real one.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "fixtures"))
from seq2seq_models import ByteLevelBPE, TinyBart, bart_config, build_vocab, randomize, train_merges, write_json, write_tokenizer  # noqa: E402
from seq2seq_generation import ByteLevelSeq2seqTokenizer, Seq2seq, beam_generate, export_seq2seq, generation_config, greedy_generate, pad_rows  # noqa: E402
from make_seq2seq_fixtures import CORPUS  # noqa: E402

SEED = 13
# bart-large's generation settings (its config.json: forced_eos_token_id 2, no_repeat_ngram_size 3),
# forced_bos as bart-large-cnn and MentalBART's base carry it; greedy (num_beams 1) as the issue asks.
GEN = {"decoder_start_token_id": 2, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "forced_bos_token_id": 0, "forced_eos_token_id": 2, "no_repeat_ngram_size": 3}


def model_and_tokenizer():
    merges = train_merges(CORPUS, 160)
    vocab = build_vocab(merges)
    cfg = bart_config(50265, 1024, 12, 16, 4096, 1024, "imhi-bench/mentalbart-shape-random")
    cfg["use_cache"] = True
    torch.manual_seed(SEED)
    bart = TinyBart(cfg)
    randomize(bart, SEED, 0.02)  # bart-large's init scale; layer norms as randomize() sets them
    bart.eval()
    tok = ByteLevelSeq2seqTokenizer(ByteLevelBPE(vocab, merges), vocab, [0], [2], [0, 1, 2, 3, len(vocab) - 1])
    return bart, tok, vocab, merges, cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["export", "generate"])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--queries")
    ap.add_argument("--results")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: torch's default)")
    ap.add_argument("--num-beams", type=int, default=1, help="beam search with early stopping (bart-large's config: 4)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    bart, tok, vocab, merges, cfg = model_and_tokenizer()
    if args.mode == "export":
        tmp = args.dir + ".partial"
        os.makedirs(tmp, exist_ok=True)
        write_json(os.path.join(tmp, "config.json"), cfg)
        write_json(os.path.join(tmp, "generation_config.json"), GEN)
        write_tokenizer(tmp, vocab, merges, "BartTokenizer", 1024, cfg["vocab_size"])
        t = time.time()
        export_seq2seq(Seq2seq(bart), tmp)
        os.replace(tmp, args.dir)
        print("exported in %.1f s" % (time.time() - t), file=sys.stderr)
        return
    queries = json.load(open(args.queries))
    torch.set_grad_enabled(False)
    s2s = Seq2seq(bart)
    g = generation_config(cfg, GEN)
    if args.num_beams > 1:
        g = dict(g, num_beams=args.num_beams, early_stopping=True, length_penalty=1.0)
    max_length = args.max_new_tokens + 1
    unk = vocab["<unk>"]

    def run(qs):
        out = []
        for i in range(0, len(qs), args.batch_size):
            ids, mask = pad_rows([tok.encode(q) for q in qs[i:i + args.batch_size]], unk)
            if args.num_beams > 1:
                out += beam_generate(s2s, ids, mask, g, max_length)
            else:
                out += [r.tolist() for r in greedy_generate(s2s, ids, mask, g, max_length)]
        return out

    run(queries[:1])  # warm-up, as the workbench's figure excludes loading too
    t = time.time()
    c = time.process_time()
    ids = run(queries)
    seconds = time.time() - t
    cpu = time.process_time() - c
    write_json(args.results, {"ids": ids, "seconds": seconds, "cpu_seconds": cpu, "threads": torch.get_num_threads(),
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
