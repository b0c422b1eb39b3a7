"""Converts a Hugging Face encoder into the ONNX folder the workbench's BERTScore reads, cut after
the layer BERTScore uses (run once, on a machine with internet; needs transformers, torch, onnx):

    pip install "transformers>=4.30" torch onnx
    python scripts/convert_bertscore_encoder.py roberta-large out/roberta-large-L17          # layer from bert_score's table (17)
    python scripts/convert_bertscore_encoder.py mental/mental-bert-base-uncased out/mb-L9 --layer 9

bert_score (and so HF evaluate's `bertscore`, which MentalLLaMA's score.py calls) embeds with the
model cut after `num_layers` layers (bert_score.utils.get_model) and reads last_hidden_state. This
script makes the same cut before exporting, so the folder's model.onnx gives exactly that layer's
hidden states, and writes config.json with num_hidden_layers = the layer (the workbench checks a
requested --layer against it). The tokenizer is saved as tokenizer.json (fast) beside
tokenizer_config.json; bert_score uses the slow tokenizer, which gives the same ids for ordinary
text.

Layout written: config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
vocab files, model.onnx (inputs input_ids, attention_mask[, token_type_ids]; output
last_hidden_state), as `optimum-cli export onnx --task feature-extraction` would for the cut model.

Not run on the project's machines (transformers cannot be installed there); the workbench side is
tested on a tiny RoBERTa exported the same way by scripts/fixtures/make_seq2seq_fixtures.py.
"""
import argparse
import os

import torch

# bert_score's default layers (bert_score/utils.py model2layers) for the models score.py users pick most
MODEL2LAYERS = {
    "bert-base-uncased": 9, "bert-large-uncased": 18, "bert-base-multilingual-cased": 9,
    "roberta-base": 10, "roberta-large": 17, "roberta-large-mnli": 19,
    "distilbert-base-uncased": 5, "distilroberta-base": 5,
    "microsoft/deberta-base": 9, "microsoft/deberta-large": 16, "microsoft/deberta-xlarge-mnli": 40,
    "facebook/bart-base": 6, "facebook/bart-large": 10, "facebook/bart-large-cnn": 10,
    "xlm-roberta-base": 9, "xlm-roberta-large": 17, "allenai/scibert_scivocab_uncased": 8,
}


class LastHidden(torch.nn.Module):
    def __init__(self, model, with_types):
        super().__init__()
        self.model = model
        self.with_types = with_types

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        kw = {"attention_mask": attention_mask}
        if self.with_types:
            kw["token_type_ids"] = token_type_ids
        return self.model(input_ids, **kw)[0]


def main():
    from transformers import AutoModel, AutoTokenizer

    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="a Hugging Face model id or local folder")
    ap.add_argument("out", help="the folder to write")
    ap.add_argument("--layer", type=int, help="cut after this layer (default: bert_score's layer for the model)")
    args = ap.parse_args()
    layer = args.layer if args.layer is not None else MODEL2LAYERS.get(args.model)
    if layer is None:
        raise SystemExit(f"{args.model}: not in bert_score's table here; give --layer N")

    model = AutoModel.from_pretrained(args.model)
    model.eval()
    if hasattr(model, "decoder") and hasattr(model, "encoder"):
        model = model.encoder  # as bert_score does for encoder-decoder models
    # bert_score.utils.get_model's cut for BERT/RoBERTa-style models
    if hasattr(model, "encoder") and hasattr(model.encoder, "layer"):
        assert 0 <= layer <= len(model.encoder.layer)
        model.encoder.layer = torch.nn.ModuleList(list(model.encoder.layer[:layer]))
    elif hasattr(model, "layers"):
        assert 0 <= layer <= len(model.layers)
        model.layers = torch.nn.ModuleList(list(model.layers[:layer]))
    elif hasattr(model, "transformer") and hasattr(model.transformer, "layer"):
        assert 0 <= layer <= len(model.transformer.layer)
        model.transformer.layer = torch.nn.ModuleList(list(model.transformer.layer[:layer]))
    else:
        raise SystemExit(f"{args.model}: architecture not handled here (bert_score's get_model has more cases)")
    model.config.num_hidden_layers = layer
    model.config._name_or_path = args.model

    os.makedirs(args.out, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(args.model, use_fast=True)
    tok.save_pretrained(args.out)
    model.config.save_pretrained(args.out)

    sample = tok(["a first sentence", "a second, longer sentence to pad"], padding=True, return_tensors="pt")
    with_types = "token_type_ids" in sample and getattr(model.config, "type_vocab_size", 1) > 1
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if with_types else [])
    inputs = tuple(sample[n] for n in names)
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    axes["last_hidden_state"] = {0: "batch_size", 1: "sequence_length"}
    with torch.no_grad():
        torch.onnx.export(LastHidden(model, with_types), inputs, os.path.join(args.out, "model.onnx"), opset_version=14,
                          input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes)
    print(f"wrote {args.out}: {args.model} cut after layer {layer}")


if __name__ == "__main__":
    main()
