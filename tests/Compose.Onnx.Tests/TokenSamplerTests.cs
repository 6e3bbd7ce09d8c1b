using Compose.Onnx.Generation;

namespace Compose.Onnx.Tests;

/// <summary>Sampling on known logits: seeds reproduce, top-k and top-p limit the candidates, log-probabilities are exact.</summary>
public sealed class TokenSamplerTests
{
    // Probabilities 0.5, 0.3, 0.15, 0.05 (then many near-impossible tokens).
    private static readonly float[] Logits = [.. new[] { 0.5, 0.3, 0.15, 0.05 }.Select(p => (float)Math.Log(p)), .. Enumerable.Repeat(-30f, 60)];

    private static List<int> Draw(SamplingSettings settings, int n = 200)
    {
        var sampler = new TokenSampler(settings);
        return [.. Enumerable.Range(0, n).Select(i => sampler.Next(Logits, out var lp))];
    }

    [Fact]
    public void Same_seed_reproduces_tokens_and_another_seed_differs()
    {
        var a = Draw(new SamplingSettings { Temperature = 1f, Seed = 42 });
        var b = Draw(new SamplingSettings { Temperature = 1f, Seed = 42 });
        var c = Draw(new SamplingSettings { Temperature = 1f, Seed = 43 });

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Top_k_keeps_only_the_k_most_likely()
    {
        var tokens = Draw(new SamplingSettings { Temperature = 1f, TopK = 2, Seed = 1 }, 2000);

        Assert.All(tokens, t => Assert.InRange(t, 0, 1));
        Assert.Contains(1, tokens);
        Assert.InRange(tokens.Count(t => t == 0) / 2000.0, 0.55, 0.70); // 0.5 / 0.8 = 0.625
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // 0.5 < 0.7 <= 0.5 + 0.3: tokens 0 and 1 only.
        Assert.All(Draw(new SamplingSettings { Temperature = 1f, TopP = 0.7f, Seed = 3 }, 2000), t => Assert.InRange(t, 0, 1));

        // 0.9 needs the third token too, and never the fourth.
        var wider = Draw(new SamplingSettings { Temperature = 1f, TopP = 0.9f, Seed = 3 }, 2000);
        Assert.All(wider, t => Assert.InRange(t, 0, 2));
        Assert.Contains(2, wider);
    }

    [Fact]
    public void Top_p_works_when_the_mass_is_spread_thin()
    {
        var flat = Enumerable.Range(0, 1000).Select(i => i * 1e-4f).ToArray();
        var sampler = new TokenSampler(new SamplingSettings { Temperature = 1f, TopP = 0.5f, Seed = 9 });
        var tokens = Enumerable.Range(0, 500).Select(i => sampler.Next(flat, out var lp)).ToList();

        Assert.All(tokens, t => Assert.True(t >= 480, $"token {t} is outside the top half of the mass"));
    }

    [Fact]
    public void Top_p_reaches_into_a_long_flat_tail_when_it_must()
    {
        // Token 0 holds half the mass; 20000 tokens share the other half, each far below 1e-4 of token 0.
        var logits = new float[20001];
        logits[0] = MathF.Log(0.5f);
        Array.Fill(logits, MathF.Log(0.5f / 20000), 1, 20000);
        var sampler = new TokenSampler(new SamplingSettings { Temperature = 1f, TopP = 0.9f, Seed = 4 });
        var tokens = Enumerable.Range(0, 400).Select(i => sampler.Next(logits, out var lp)).ToList();

        Assert.Contains(0, tokens);
        Assert.Contains(tokens, t => t > 0);
    }

    [Fact]
    public void Greedy_takes_the_argmax_and_reports_its_log_probability()
    {
        var sampler = new TokenSampler(SamplingSettings.Greedy);
        var token = sampler.Next(Logits, out var logProb);

        Assert.Equal(0, token);
        Assert.Equal(Math.Log(0.5), logProb, 3);
    }

    [Fact]
    public void Low_temperature_concentrates_on_the_most_likely()
    {
        var tokens = Draw(new SamplingSettings { Temperature = 0.05f, Seed = 5 }, 500);
        Assert.All(tokens, t => Assert.Equal(0, t));
    }
}
