#!/usr/bin/env python3
"""Converts the IMHI benchmark's released checkpoints to the ONNX folders the workbench loads.

Run ONCE on a machine with internet access (the workbench itself never downloads anything);
copy the output folders to the workbench machine afterwards.

    python3 -m venv convert-env && . convert-env/bin/activate
    pip install "torch>=2.1" "transformers>=4.40,<5" "optimum[exporters]>=1.20" onnxruntime

    # The ten MentalBERT classifiers label_inference.py uses (Tianlin668/CAMS, CLP, DR, dreaddit,
    # Irf, loneliness, MultiWD, SAD, swmh, t-sid) -> OUT/CAMS, OUT/CLP, ... (give OUT to
    # `imhi label --model-path OUT` or to the Evaluate page's MentalBERT folder):
    python3 scripts/convert_checkpoints.py classifiers --out ~/imhi-models/mentalbert

    # BART-score (score.py: BARTScorer with facebook/bart-large-cnn and bart_score.pth loaded
    # over it; bart_score.pth from BARTScore's README, https://github.com/neulab/BARTScore):
    python3 scripts/convert_checkpoints.py bart --bart-pth bart_score.pth --out ~/imhi-models/bart-score

    # MentalBART and MentalT5 (Tianlin668/MentalBART, Tianlin668/MentalT5), the benchmark's
    # encoder-decoder models, for the workbench's onnx-seq2seq engine (IMHI-completion generation):
    python3 scripts/convert_checkpoints.py seq2seq --model Tianlin668/MentalBART --out ~/imhi-models/MentalBART
    python3 scripts/convert_checkpoints.py seq2seq --model Tianlin668/MentalT5 --out ~/imhi-models/MentalT5
    # then: imhi engines add mentalbart --seq2seq ~/imhi-models/MentalBART

What it writes, per model: the layout `optimum-cli export onnx` writes (config.json,
tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab files, and model.onnx for a
classifier; encoder_model.onnx + decoder_model.onnx for BART-score, no past-key-values graphs; for seq2seq,
encoder_model.onnx + decoder_model.onnx (with present.* outputs) + decoder_with_past_model.onnx,
the task text2text-generation-with-past, unmerged, plus generation_config.json). The
export is optimum's main_export, the same call `optimum-cli export onnx --task ... --opset 14`
makes; equivalent command lines are printed.

Checks after each export, on texts that hit padding and truncation (the same edge cases as
scripts/fixtures/make_onnx_fixtures.py):
  - transformers (BertForSequenceClassification + BertTokenizer, as label_inference.py loads
    them with num_labels from its label map) vs ONNX Runtime on the exported folder: logits to
    1e-4, labels equal;
  - transformers vs scripts/fixtures/bert_reference.py (the plain-torch BERT and tokenizer the
    fixtures and `npm run bench:onnx` are built with), so the fixtures test the real thing.
A failed check stops with a non-zero exit; nothing half-written is left (each model is exported
to OUT/NAME.partial and renamed when it passes).
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fixtures"))

# label_inference.py's get_dict: the number of labels each classifier is loaded with.
CLASSIFIERS = {
    "CAMS": 6, "CLP": 2, "DR": 2, "dreaddit": 2, "Irf": 2,
    "loneliness": 2, "MultiWD": 2, "SAD": 9, "swmh": 5, "t-sid": 4,
}
HUB_OWNER = "Tianlin668"

CHECK_TEXTS = [
    "Yes, the poster suffers from depression. Reasoning: the poster feels hopeless.",
    "",
    "Café naïve résumé — ÉLAN; I feel 悲伤 today!!!",
    "x" * 101 + " word",
    " ".join(["stress"] * 511),
    "The poster feels hopeless, tired and alone. " * 400,
]


def export(model_dir, out, task):
    from optimum.exporters.onnx import main_export

    print(f"  optimum-cli export onnx --model {model_dir} --task {task} --opset 14 {out}")
    main_export(model_dir, output=out, task=task, opset=14, no_post_process=True)


def check_classifier(name, labels, folder, model, tokenizer):
    import numpy as np
    import onnxruntime as ort
    import torch
    from bert_reference import BertForSequenceClassificationRef, BertTokenizerRef

    session = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
    worst = 0.0
    for bs in (1, 3, 8):
        for i in range(0, len(CHECK_TEXTS), bs):
            batch = CHECK_TEXTS[i : i + bs]
            inputs = tokenizer(batch, return_tensors="pt", padding=True, truncation=True, max_length=512)
            with torch.no_grad():
                want = model(**inputs)[0].numpy()
            feeds = {k.name: inputs[k.name].numpy().astype(np.int64) for k in session.get_inputs()}
            got = session.run(["logits"], feeds)[0]
            worst = max(worst, float(np.abs(got - want).max()))
            if not (got.argmax(1) == want.argmax(1)).all():
                raise SystemExit(f"{name}: ONNX labels differ from transformers' at batch size {bs}")
    if worst > 1e-4:
        raise SystemExit(f"{name}: ONNX logits differ from transformers' by {worst:.2e} (> 1e-4)")
    # The fixtures' plain-torch BERT and tokenizer against transformers on this checkpoint.
    vocab = [t for t, _ in sorted(tokenizer.vocab.items(), key=lambda kv: kv[1])]
    ref_tok = BertTokenizerRef(vocab, do_lower_case=tokenizer.do_lower_case)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    cfg["num_labels"] = labels
    ref = BertForSequenceClassificationRef(cfg)
    ref.load_state_dict(model.state_dict(), strict=False)
    ref.eval()
    inputs = tokenizer(CHECK_TEXTS, return_tensors="pt", padding=True, truncation=True, max_length=512)
    mine = ref_tok.batch(CHECK_TEXTS, max_length=512)
    if not torch.equal(inputs["input_ids"], mine["input_ids"]):
        raise SystemExit(f"{name}: bert_reference.py's tokenizer differs from BertTokenizer on the check texts")
    with torch.no_grad():
        d = float((ref(**mine) - model(**inputs)[0]).abs().max())
    if d > 1e-4:
        raise SystemExit(f"{name}: bert_reference.py's model differs from transformers' by {d:.2e}")
    print(f"  checked: ONNX vs transformers max |logit diff| {worst:.2e}; bert_reference.py vs transformers {d:.2e}")


def convert_classifiers(out, names):
    from transformers import BertForSequenceClassification, BertTokenizer, BertTokenizerFast

    os.makedirs(out, exist_ok=True)
    for name in names:
        labels = CLASSIFIERS[name]
        repo = f"{HUB_OWNER}/{name}"
        print(f"{name}: {repo} ({labels} labels)")
        work = os.path.join(out, f"{name}.hf")
        partial = os.path.join(out, f"{name}.partial")
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(partial, ignore_errors=True)
        # As label_inference.py loads them: num_labels from its label map, BertTokenizer.
        model = BertForSequenceClassification.from_pretrained(repo, num_labels=labels).eval()
        tokenizer = BertTokenizer.from_pretrained(repo)
        model.save_pretrained(work)
        BertTokenizerFast.from_pretrained(repo).save_pretrained(work)  # writes tokenizer.json too
        export(work, partial, "text-classification")
        for f in os.listdir(work):  # the tokenizer files, whatever optimum did not copy
            if f.endswith((".json", ".txt")) and not os.path.exists(os.path.join(partial, f)):
                shutil.copy(os.path.join(work, f), partial)
        check_classifier(name, labels, partial, model, tokenizer)
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
        os.rename(partial, os.path.join(out, name))
        shutil.rmtree(work, ignore_errors=True)
        print(f"  -> {os.path.join(out, name)}")


def convert_bart(out, bart_pth, checkpoint):
    import torch
    from transformers import BartForConditionalGeneration, BartTokenizer, BartTokenizerFast

    print(f"BART-score: {checkpoint} with {bart_pth} loaded over it (BARTScorer.load)")
    model = BartForConditionalGeneration.from_pretrained(checkpoint)
    if bart_pth:
        model.load_state_dict(torch.load(bart_pth, map_location="cpu"))
    model.eval()
    work, partial = out + ".hf", out + ".partial"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(work)
    BartTokenizerFast.from_pretrained(checkpoint).save_pretrained(work)
    # Encoder + decoder without past key values: BART-score scores whole reference sequences.
    export(work, partial, "text2text-generation")
    for need in ("encoder_model.onnx", "decoder_model.onnx"):
        if not os.path.exists(os.path.join(partial, need)):
            raise SystemExit(f"BART export: {need} missing in {partial}")
    # Check: the decoder's logits on one pair equal transformers' (teacher forcing, as BARTScorer).
    import numpy as np
    import onnxruntime as ort

    tok = BartTokenizer.from_pretrained(checkpoint)
    src = tok(["The poster feels hopeless and tired."], return_tensors="pt", truncation=True, max_length=1024)
    tgt = tok(["The poster shows signs of depression."], return_tensors="pt", truncation=True, max_length=1024)
    with torch.no_grad():
        want = model(input_ids=src["input_ids"], attention_mask=src["attention_mask"], labels=tgt["input_ids"]).logits.numpy()
    enc = ort.InferenceSession(os.path.join(partial, "encoder_model.onnx"), providers=["CPUExecutionProvider"])
    dec = ort.InferenceSession(os.path.join(partial, "decoder_model.onnx"), providers=["CPUExecutionProvider"])
    hidden = enc.run(None, {"input_ids": src["input_ids"].numpy(), "attention_mask": src["attention_mask"].numpy()})[0]
    dec_in = model.prepare_decoder_input_ids_from_labels(tgt["input_ids"]).numpy()
    got = dec.run(["logits"], {"input_ids": dec_in, "encoder_hidden_states": hidden, "encoder_attention_mask": src["attention_mask"].numpy()})[0]
    d = float(np.abs(got - want).max())
    if d > 1e-3:
        raise SystemExit(f"BART export: decoder logits differ from transformers' by {d:.2e}")
    print(f"  checked: ONNX vs transformers max |logit diff| {d:.2e}")
    shutil.rmtree(out, ignore_errors=True)
    os.rename(partial, out)
    shutil.rmtree(work, ignore_errors=True)
    print(f"  -> {out}")


CHECK_QUERIES = [
    "Post: I can't sleep, I've lost weight and I don't want to see anyone anymore. Question: Does the poster suffer from depression?",
    "Post: deadlines at work  Question: This post shows the stress cause of",
    "Post: Café naïve — ÉLAN; I feel 悲伤 today!!! " + "I am alone. " * 60 + "Question: Does the poster suffer from loneliness?",
]


def ort_greedy(folder, input_ids, attention_mask, gen, max_length):
    """The workbench's greedy loop (src/main/inference/engines/onnx/generate.ts) in Python over the
    exported graphs: encoder once, decoder_model for the first step, decoder_with_past_model after,
    the same logits processors (min_length, no_repeat_ngram_size, forced BOS/EOS, repetition penalty)."""
    import numpy as np
    import onnxruntime as ort

    opts = {"providers": ["CPUExecutionProvider"]}
    enc = ort.InferenceSession(os.path.join(folder, "encoder_model.onnx"), **opts)
    dec = ort.InferenceSession(os.path.join(folder, "decoder_model.onnx"), **opts)
    past_dec = ort.InferenceSession(os.path.join(folder, "decoder_with_past_model.onnx"), **opts)
    hidden = enc.run(["last_hidden_state"], {"input_ids": input_ids, "attention_mask": attention_mask})[0]
    layers = sum(1 for i in past_dec.get_inputs() if i.name.endswith(".decoder.key"))
    eos = gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id]
    rows = [[gen.decoder_start_token_id] for _ in range(input_ids.shape[0])]
    done = [False] * len(rows)
    past = None
    while True:
        if past is None:
            out = dec.run(None, {"input_ids": np.array(rows, dtype=np.int64), "encoder_hidden_states": hidden, "encoder_attention_mask": attention_mask})
            names = [o.name for o in dec.get_outputs()]
        else:
            feeds = {"input_ids": np.array([[r[-1]] for r in rows], dtype=np.int64), "encoder_attention_mask": attention_mask, **past}
            if any(i.name == "encoder_hidden_states" for i in past_dec.get_inputs()):
                feeds["encoder_hidden_states"] = hidden
            out = past_dec.run(None, feeds)
            names = [o.name for o in past_dec.get_outputs()]
        res = dict(zip(names, out))
        new = {} if past is None else dict(past)
        for i in range(layers):
            for part in (("decoder.key", "decoder.value", "encoder.key", "encoder.value") if past is None else ("decoder.key", "decoder.value")):
                new[f"past_key_values.{i}.{part}"] = res[f"present.{i}.{part}"]
        past = new
        for b, r in enumerate(rows):
            if done[b]:
                r.append(gen.pad_token_id)
                continue
            scores = res["logits"][b, -1].astype(np.float32).copy()
            cur = len(r)
            if (gen.repetition_penalty or 1.0) != 1.0:
                for t in set(r):
                    scores[t] = scores[t] * gen.repetition_penalty if scores[t] < 0 else scores[t] / gen.repetition_penalty
            n = gen.no_repeat_ngram_size or 0
            if n > 0 and cur + 1 >= n:
                for i in range(cur - n + 1):
                    if r[i:i + n - 1] == r[cur - n + 1:cur]:
                        scores[r[i + n - 1]] = -np.inf
            if (gen.min_length or 0) > 0 and cur < gen.min_length:
                scores[eos] = -np.inf
            if gen.forced_bos_token_id is not None and cur == 1:
                scores[:] = -np.inf
                scores[gen.forced_bos_token_id] = 0
            if gen.forced_eos_token_id is not None and cur == max_length - 1:
                scores[:] = -np.inf
                scores[gen.forced_eos_token_id] = 0
            t = int(np.argmax(scores))
            r.append(t)
            done[b] = t in eos
        if all(done) or len(rows[0]) >= max_length:
            return rows


def convert_seq2seq(out, repo, max_length):
    """MentalBART / MentalT5 as IMHI.py would run them (its non-LLaMA branch loads AutoModel, which
    has no language-model head; the model cards' AutoModelForSeq2SeqLM is what generates)."""
    import numpy as np
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, GenerationConfig

    print(f"seq2seq: {repo}")
    model = AutoModelForSeq2SeqLM.from_pretrained(repo).eval()
    tokenizer = AutoTokenizer.from_pretrained(repo)  # the fast tokenizer: writes tokenizer.json
    work, partial = out + ".hf", out + ".partial"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(work)  # config.json and generation_config.json
    tokenizer.save_pretrained(work)
    export(work, partial, "text2text-generation-with-past")
    for need in ("encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx"):
        if not os.path.exists(os.path.join(partial, need)):
            raise SystemExit(f"{repo}: {need} missing in {partial} (optimum should write it for text2text-generation-with-past)")
    for f in os.listdir(work):  # tokenizer files and generation_config.json, whatever optimum did not copy
        if f.endswith((".json", ".txt", ".model")) and not os.path.exists(os.path.join(partial, f)):
            shutil.copy(os.path.join(work, f), partial)
    gen = GenerationConfig.from_pretrained(work)
    if (gen.num_beams or 1) > 1 or gen.do_sample:
        print(f"  note: its generation config asks num_beams {gen.num_beams}, do_sample {gen.do_sample}; the workbench runs transformers' beam search for num_beams > 1 (not sampling); the check below compares greedy decoding of the graphs")
    # Check: IMHI.py's batch (pad_token = unk_token, padding=True, no truncation) through transformers'
    # greedy generate and through the exported graphs with the workbench's loop: the same ids.
    tokenizer.pad_token = tokenizer.unk_token
    limit = getattr(model.config, "max_position_embeddings", None)
    batch = tokenizer(CHECK_QUERIES, return_tensors="pt", padding=True, truncation=limit is not None, max_length=limit)
    with torch.no_grad():
        want = model.generate(batch["input_ids"], attention_mask=batch["attention_mask"], max_length=max_length, num_beams=1, do_sample=False).tolist()
    got = ort_greedy(partial, batch["input_ids"].numpy().astype(np.int64), batch["attention_mask"].numpy().astype(np.int64), gen, max_length)
    for i, (w, g) in enumerate(zip(want, got)):
        g = g[:len(w)] + [gen.pad_token_id] * (len(w) - len(g))
        if w != g:
            raise SystemExit(f"{repo}: check query {i + 1}: ONNX greedy ids differ from transformers' generate:\n  {w}\n  {g}")
        print(f"  checked query {i + 1}: {len(w)} ids identical; {tokenizer.decode(w, skip_special_tokens=True)[:80]!r}")
    # What transformers gives for the check queries as IMHI.py calls generate (the config's own
    # decoding: greedy, or its num_beams), written beside the model: `imhi engines add/check`
    # tokenizes and generates them with the workbench and says whether every id and text is identical.
    import transformers

    with torch.no_grad():
        as_imhi = model.generate(batch["input_ids"], attention_mask=batch["attention_mask"], max_length=max_length).tolist()
    rows = [[int(t) for t, m in zip(ids, mask) if m] for ids, mask in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())]
    with open(os.path.join(partial, "imhi_reference.json"), "w", encoding="utf-8") as f:
        json.dump({"transformers": transformers.__version__, "queries": CHECK_QUERIES, "input_ids": rows, "max_length": max_length,
                   "batch_size": len(CHECK_QUERIES), "ids": as_imhi, "texts": [tokenizer.decode(r, skip_special_tokens=True, spaces_between_special_tokens=False) for r in as_imhi]},
                  f, ensure_ascii=False, indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(partial, out)
    shutil.rmtree(work, ignore_errors=True)
    print(f"  -> {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("classifiers", help="the ten MentalBERT classifiers of label_inference.py")
    c.add_argument("--out", required=True, help="folder that receives OUT/CAMS, OUT/DR, ...")
    c.add_argument("--names", default=",".join(CLASSIFIERS), help="comma-separated subset (default: all ten)")
    b = sub.add_parser("bart", help="BART-score: facebook/bart-large-cnn with bart_score.pth over it")
    b.add_argument("--out", required=True)
    b.add_argument("--bart-pth", default=None, help="BARTScore's bart_score.pth (score.py loads it; without it: plain bart-large-cnn)")
    b.add_argument("--checkpoint", default="facebook/bart-large-cnn")
    g = sub.add_parser("seq2seq", help="MentalBART / MentalT5 for the onnx-seq2seq engine (generation)")
    g.add_argument("--model", required=True, help="Tianlin668/MentalBART, Tianlin668/MentalT5, or a local checkpoint folder")
    g.add_argument("--out", required=True)
    g.add_argument("--check-max-length", type=int, default=64, help="max_length of the generation check (IMHI.py runs 2048)")
    a = p.parse_args()
    if a.what == "classifiers":
        names = [n.strip() for n in a.names.split(",") if n.strip()]
        unknown = [n for n in names if n not in CLASSIFIERS]
        if unknown:
            raise SystemExit(f"unknown classifier(s) {', '.join(unknown)}; known: {', '.join(CLASSIFIERS)}")
        convert_classifiers(os.path.abspath(os.path.expanduser(a.out)), names)
    elif a.what == "seq2seq":
        convert_seq2seq(os.path.abspath(os.path.expanduser(a.out)), a.model, a.check_max_length)
    else:
        convert_bart(os.path.abspath(os.path.expanduser(a.out)), a.bart_pth, a.checkpoint)


if __name__ == "__main__":
    main()
