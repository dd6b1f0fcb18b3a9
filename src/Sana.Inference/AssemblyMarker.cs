namespace Sana.Inference;

/// <summary>Anchor for reflection over this assembly (tests, resource lookup).</summary>
public static class AssemblyMarker;
