"""Shapes of every tiny sub-module and the vit-b architecture's parameter counts."""

import torch

from samclip_tools.config import TINY, VIT_B
from samclip_tools.model.sam import PromptDecoder
from samclip_tools.models import build_models, build_random_models, count_parameters


def test_tiny_samclip_shapes():
    m = build_random_models("sam-clip", TINY, 0).samclip
    enc = TINY.sam_encoder
    G, D, C, E = enc.grid_size, enc.width, enc.out_chans, TINY.clip_head.embed_dim
    with torch.no_grad():
        feats = m.image_encoder.forward_backbone(torch.randn(1, 3, enc.image_size, enc.image_size))
        assert feats.shape == (1, G, G, D)
        emb = m.image_encoder.neck(feats)
        assert emb.shape == (1, C, G, G)
        pooled, dense = m.clip_head(feats)
        assert pooled.shape == (1, E) and dense.shape == (1, G, G, E)
        ids = torch.zeros(5, 77, dtype=torch.long)
        ids[:, 0], ids[:, 1], ids[:, 2] = TINY.samclip_text.vocab_size - 2, 7, TINY.samclip_text.vocab_size - 1
        assert m.encode_text(ids).shape == (5, E)
        decoder = PromptDecoder(m.prompt_encoder, m.mask_decoder, enc.image_size)
        masks, iou, low = decoder(
            emb, torch.rand(1, 3, 2) * enc.image_size, torch.tensor([[1.0, 0.0, -1.0]]), torch.zeros(1, 1, 4 * G, 4 * G), torch.zeros(1), torch.tensor([100.0, 70.0])
        )
        assert masks.shape == (1, 4, 100, 70) and iou.shape == (1, 4) and low.shape == (1, 4, 4 * G, 4 * G)
        single = PromptDecoder(m.prompt_encoder, m.mask_decoder, enc.image_size, return_single_mask=True)
        masks1, iou1, _ = single(emb, torch.rand(1, 3, 2) * enc.image_size, torch.tensor([[1.0, 0.0, -1.0]]), torch.zeros(1, 1, 4 * G, 4 * G), torch.zeros(1), torch.tensor([100.0, 70.0]))
        assert masks1.shape == (1, 1, 100, 70) and iou1.shape == (1, 1)


def test_tiny_clip_shapes():
    m = build_random_models("clip", TINY, 0).clip
    v = TINY.clip_vision
    with torch.no_grad():
        pooled, dense = m.visual(torch.randn(1, 3, v.image_size, v.image_size))
    assert pooled.shape == (1, v.embed_dim) and dense.shape == (1, v.grid_size, v.grid_size, v.embed_dim)


def test_window_padding_path_is_exercised():
    # grid 16 with window 6 pads to 18, as ViT-B's grid 64 pads to 70 with window 14.
    assert TINY.sam_encoder.grid_size % TINY.sam_encoder.window_size != 0
    assert VIT_B.sam_encoder.grid_size % VIT_B.sam_encoder.window_size != 0


def test_vit_b_parameter_counts():
    m = build_models("sam-clip", VIT_B).samclip
    encoder = count_parameters(m.image_encoder)
    neck = count_parameters(m.image_encoder.neck)
    decoder = count_parameters(m.mask_decoder)
    prompt = count_parameters(m.prompt_encoder)
    head = count_parameters(m.clip_head)
    text = count_parameters(m) - encoder - decoder - prompt - head
    print(f"\nvit-b parameters: image encoder with neck {encoder:,} (neck {neck:,}), mask decoder {decoder:,}, prompt encoder {prompt:,}, clip head {head:,}, text tower {text:,}")
    assert encoder == 89_670_912  # SAM ViT-B image encoder + neck, as in sam_vit_b_01ec64
    assert decoder == 4_058_340
    assert prompt == 6_220
    # The paper's head: 3 blocks + MLP ≈ a quarter of the backbone.
    assert 0.2 < head / (encoder - neck) < 0.3
    assert text == 123_650_305  # OpenCLIP ViT-L/14 text tower incl. logit_scale


def test_transformer_final_attention_for_the_output_tokens_only():
    """With `output_tokens` the final token→image attention updates the first tokens only: the same
    values for them, none for the prompt tokens after them, and the same image tokens."""
    torch.manual_seed(0)
    m = build_random_models("sam-clip", VIT_B, 0).samclip
    transformer = m.mask_decoder.transformer.eval()
    image, pe, tokens = torch.randn(1, 256, 64, 64), torch.randn(1, 256, 64, 64), torch.randn(1, 7, 256)
    with torch.no_grad():
        all_queries, all_keys = transformer(image, pe, tokens)
        queries, keys = transformer(image, pe, tokens, output_tokens=5)
    assert all_queries.shape == (1, 7, 256) and queries.shape == (1, 5, 256)
    assert torch.allclose(queries, all_queries[:, :5], atol=1e-6, rtol=0), float((queries - all_queries[:, :5]).abs().max())
    assert torch.equal(keys, all_keys)


def test_decoder_export_form_computes_the_same_decoder():
    """The exporter's form of the prompt decoder (export_form.decoder_export_form: few-token
    cross-attentions, upscaling in the token layout, the mask branch on demand) is the same
    function: ViT-B decoder widths (256, 8 heads, 128 internal), a click plus the padding point,
    a box, and a click with a mask prompt."""
    from samclip_tools.model.export_form import decoder_export_form
    from samclip_tools.model.mask_decoder import MaskDecoder
    from samclip_tools.model.transformer import Attention

    torch.manual_seed(0)
    m = build_random_models("sam-clip", VIT_B, 0).samclip
    decoder = PromptDecoder(m.prompt_encoder, m.mask_decoder, m.image_encoder.img_size).eval()
    embeddings = torch.randn(1, 256, 64, 64)
    no_mask = (torch.zeros(1, 1, 256, 256), torch.zeros(1))
    prompts = [
        (torch.tensor([[[500.0, 300.0], [0.0, 0.0]]]), torch.tensor([[1.0, -1.0]]), *no_mask),
        (torch.tensor([[[100.0, 120.0], [700.0, 650.0]]]), torch.tensor([[2.0, 3.0]]), *no_mask),
        (torch.tensor([[[500.0, 300.0], [0.0, 0.0]]]), torch.tensor([[1.0, -1.0]]), 4 * torch.randn(1, 1, 256, 256), torch.ones(1)),
    ]
    forms = [a for a in decoder.modules() if isinstance(a, (Attention, MaskDecoder, PromptDecoder))]
    assert len(forms) == 2 * 3 + 1 + 2  # 2 layers × (self, token→image, image→token), the final attention, the 2 decoders
    for coords, labels, mask_input, has_mask_input in prompts:
        args = (embeddings, coords, labels, mask_input, has_mask_input, torch.tensor([1200.0, 1800.0]))
        with torch.no_grad():
            standard = decoder(*args)
            with decoder_export_form(decoder):
                assert all(f.export_form for f in forms)
                exported = decoder(*args)
        for a, b in zip(standard, exported):
            assert a.shape == b.shape
            assert torch.allclose(a, b, atol=2e-5, rtol=0), float((a - b).abs().max())
    assert not any(f.export_form for f in forms)
