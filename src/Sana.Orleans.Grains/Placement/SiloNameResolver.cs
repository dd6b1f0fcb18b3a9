namespace Sana.Orleans.Grains.Placement;

/// <summary>Maps a configured silo name to the address of its active incarnation in a membership snapshot.</summary>
internal static class SiloNameResolver
{
    /// <summary>
    /// The active member named <paramref name="siloName"/>; of several (a restarted silo whose old incarnation is not
    /// yet declared dead) the newest generation. Null when no active silo has that name.
    /// </summary>
    public static SiloAddress? Resolve(ClusterMembershipSnapshot snapshot, string siloName) =>
        snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && string.Equals(m.Name, siloName, StringComparison.Ordinal))
            .Select(m => m.SiloAddress)
            .OrderByDescending(a => a.Generation)
            .FirstOrDefault();

    public static string DescribeActive(ClusterMembershipSnapshot snapshot)
    {
        var names = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.Name).Order(StringComparer.Ordinal);
        var list = string.Join(", ", names);
        return list.Length == 0 ? "none" : list;
    }
}
