// The silos' private network: one subnet, an NSG that keeps the Orleans ports (silo 11111, gateway 30000) and the
// HTTP admin port inside the virtual network, and a NAT gateway for outbound traffic (package mirrors, NVIDIA's
// repository, storage), since the VMs have no public addresses and new subnets get no default outbound access.

@description('Region of the network resources.')
param location string

@description('Prefix of resource names.')
param namePrefix string

@description('Address space of the virtual network.')
param vnetAddressPrefix string

@description('Address range of the silo subnet (inside vnetAddressPrefix).')
param subnetAddressPrefix string

@description('Orleans silo-to-silo port.')
param siloPort int

@description('Orleans client gateway port.')
param gatewayPort int

@description('Port of the silo dashboard, /health and metrics (bound to loopback by the silo by default).')
param httpPort int

param tags object

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${namePrefix}-silo-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'allow-orleans-silo-from-vnet'
        properties: {
          description: 'Silo-to-silo traffic between cluster members.'
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: 'VirtualNetwork'
          destinationPortRange: string(siloPort)
        }
      }
      {
        name: 'allow-orleans-gateway-from-vnet'
        properties: {
          description: 'Orleans clients (services in this or a peered network) reach silo gateways.'
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: 'VirtualNetwork'
          destinationPortRange: string(gatewayPort)
        }
      }
      {
        name: 'allow-ssh-from-vnet'
        properties: {
          description: 'SSH from a jump host or Azure Bastion inside the network; the VMs have no public address.'
          priority: 120
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: 'VirtualNetwork'
          destinationPortRange: '22'
        }
      }
      {
        name: 'deny-cluster-and-admin-ports-from-internet'
        properties: {
          description: 'Never expose Orleans, the dashboard, /health or metrics to the Internet, even if a public IP is added later.'
          priority: 200
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRanges: [
            string(siloPort)
            string(gatewayPort)
            string(httpPort)
            '22'
          ]
        }
      }
    ]
  }
}

resource natIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${namePrefix}-nat-ip'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource nat 'Microsoft.Network/natGateways@2024-05-01' = {
  name: '${namePrefix}-nat'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 10
    publicIpAddresses: [
      {
        id: natIp.id
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${namePrefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: 'silos'
        properties: {
          addressPrefix: subnetAddressPrefix
          networkSecurityGroup: {
            id: nsg.id
          }
          natGateway: {
            id: nat.id
          }
          defaultOutboundAccess: false
          // Storage traffic from the silos stays on the Azure backbone (and can be restricted to this subnet).
          serviceEndpoints: [
            {
              service: 'Microsoft.Storage'
            }
          ]
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output vnetName string = vnet.name
output subnetId string = vnet.properties.subnets[0].id
output nsgId string = nsg.id
