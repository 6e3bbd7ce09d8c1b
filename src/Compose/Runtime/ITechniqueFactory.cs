using Compose.Language;

namespace Compose.Runtime;

/// <summary>What the runtime needs of a technique beyond the compiler's rules: the runnable technique for a node.</summary>
internal interface ITechniqueFactory
{
    ITechnique CreateFor(TechniqueSpec spec);
}
